using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Risk;
using Microsoft.Extensions.Options;

namespace Aml.Orleans.Silo.Feeds;

/// <summary>Replay of real candles as a live feed (section <c>Aml:Replay</c>): the dev stand-in for an exchange feed.</summary>
public sealed class CandleReplayOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Aml:Replay";

    /// <summary>Candle files by asset, e.g. <c>BTC-USD → data/market/BTCUSDT-1h.csv</c>. Empty: no replay.</summary>
    public Dictionary<string, string> Files { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Where the replay starts; the candles before it warm the features up at once.</summary>
    public DateTimeOffset From { get; set; } = new(2022, 11, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Real time per replayed candle (an hour of market in a second by default).</summary>
    public TimeSpan CandleEvery { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Feeds each configured market with real candles at an accelerated clock: open, the adverse extreme first, the other
/// extreme, close — as ticks stamped with the wall clock (the prices are history, the times are now, so the
/// engine's staleness rules and the chain's price-age checks hold) — then closes the candle for the features. On a dev
/// chain the same prices go to the markets' price feeds (<see cref="DevPriceFeedPublisher"/>), as a real feed would
/// publish them.
/// </summary>
internal sealed partial class CandleReplayFeed(
    IOptions<CandleReplayOptions> options, IGrainFactory grains, DevPriceFeedPublisher feeds, TimeProvider clock, ILogger<CandleReplayFeed> logger)
    : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.WhenAll(options.Value.Files.Select(f => ReplayAsync(f.Key, f.Value, stoppingToken)));
    }

    private async Task ReplayAsync(string asset, string file, CancellationToken cancellationToken)
    {
        var series = CandleLoader.Load(file, asset);
        var market = grains.GetGrain<IMarketGrain>(asset);

        // A market that holds candles already (the silo was restarted, or ./aml run started again on kept dev state)
        // is warm: the replay goes on after its newest candle, since the market rejects older ones as out of order.
        var held = await market.GetCandlesAsync(1);
        var resumeAfter = held.Count > 0 ? held[^1].OpenTime : (DateTimeOffset?)null;
        if (resumeAfter is { } after)
        {
            LogResumed(asset, after);
        }
        else
        {
            var warmUp = series.Candles.Where(c => c.OpenTime < options.Value.From).TakeLast(FeatureWindow.WarmUp + 24).ToList();
            foreach (var candle in warmUp)
            {
                await market.CloseCandleAsync(candle.ToMarketCandle());
            }

            LogStarted(asset, file, warmUp.Count, options.Value.From);
        }

        var pause = options.Value.CandleEvery / 4;
        foreach (var candle in series.Candles.Where(c => c.OpenTime >= options.Value.From && (resumeAfter is null || c.OpenTime > resumeAfter)))
        {
            var red = candle.Close < candle.Open;
            foreach (var price in (double[])[candle.Open, red ? candle.High : candle.Low, red ? candle.Low : candle.High, candle.Close])
            {
                var priceE8 = CandleConversions.E8(price);
                await feeds.OfferAsync(asset, priceE8, cancellationToken); // the chain's independent feed first, then the engine
                var outcome = await market.SubmitTickAsync(new MarketTick(priceE8, clock.GetUtcNow()));
                if (!outcome.Accepted)
                {
                    LogTickRejected(asset, price, outcome.Rejection);
                }

                await Task.Delay(pause, clock, cancellationToken);
            }

            await market.CloseCandleAsync(candle.ToMarketCandle());
        }

        LogFinished(asset);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replaying {Asset} from {File}: {WarmUp} warm-up candles, live from {From:O}")]
    private partial void LogStarted(string asset, string file, int warmUp, DateTimeOffset from);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replaying {Asset}: the market holds candles up to {After:O}; the replay goes on after it")]
    private partial void LogResumed(string asset, DateTimeOffset after);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replay tick {Asset} {Price} rejected: {Reason}")]
    private partial void LogTickRejected(string asset, double price, TickRejection reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replay of {Asset} reached the end of its file")]
    private partial void LogFinished(string asset);
}
