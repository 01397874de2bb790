using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Telemetry;
using Aml.Orleans.Risk;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aml.Orleans.Grains.Markets;

/// <summary>
/// One asset's market. Validates ticks and keeps closed candles for the risk features. The positions' bands live in
/// the market's book shards (<see cref="IMarketBookGrain"/>), which get every accepted price: this grain holds nothing
/// per position.
/// </summary>
internal sealed partial class MarketGrain(
    [PersistentState("market", "aml")] IPersistentState<MarketState> state,
    IOptions<MarketOptions> options,
    IOptions<MarketCatalogOptions> catalog,
    TimeProvider clock,
    ILogger<MarketGrain> logger) : Grain, IMarketGrain
{
    private readonly MarketOptions _options = options.Value;
    private ShardFeed[] _feeds = [];
    private TickValidator _validator = null!;
    private readonly FeatureWindow _features = new();
    private bool _dirty;

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _validator = new TickValidator(_options.Ticks);
        if (state.State.LastPriceE8 > 0)
        {
            _validator.Restore(state.State.LastPriceE8, state.State.LastTickAt);
        }

        foreach (var candle in state.State.Candles)
        {
            _features.Add(candle.ToRiskCandle());
        }

        var asset = this.GetPrimaryKeyString();
        _feeds = Enumerable.Range(0, catalog.Value.BookBucketsFor(asset))
            .Select(bucket => new ShardFeed(GrainFactory.GetGrain<IMarketBookGrain>(new BookShardKey(asset, bucket).ToString())))
            .ToArray();

        this.RegisterGrainTimer(FlushIfDirtyAsync, new GrainTimerCreationOptions
        {
            DueTime = _options.FlushInterval,
            Period = _options.FlushInterval,
            Interleave = false,
            KeepAlive = false,
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        FlushIfDirtyAsync(cancellationToken);

    /// <inheritdoc />
    public Task<TickOutcome> SubmitTickAsync(MarketTick tick)
    {
        ArgumentNullException.ThrowIfNull(tick);
        using var activity = EngineTelemetry.Source.StartActivity("aml.tick");
        activity?.SetTag("aml.asset", this.GetPrimaryKeyString());
        activity?.SetTag("aml.price_e8", tick.PriceE8);
        var verdict = _validator.Check(tick.PriceE8, tick.Timestamp, clock.GetUtcNow());
        EngineTelemetry.Ticks.Add(1, new("asset", this.GetPrimaryKeyString()), new("outcome", verdict.ToString()));
        _dirty = true;
        if (verdict != TickRejection.Accepted)
        {
            state.State.TicksRejected++;
            state.State.LastRejection = verdict;
            LogTickRejected(this.GetPrimaryKeyString(), tick.PriceE8, tick.Timestamp, verdict);
            return Task.FromResult(new TickOutcome(verdict, 0));
        }

        state.State.TicksAccepted++;
        state.State.LastPriceE8 = tick.PriceE8;
        state.State.LastTickAt = tick.Timestamp;

        foreach (var feed in _feeds)
        {
            feed.Offer(tick.PriceE8, tick.Timestamp, LogShardUnreachable);
        }

        return Task.FromResult(new TickOutcome(TickRejection.Accepted, _feeds.Length));
    }

    /// <inheritdoc />
    public Task<TickOutcome> CloseCandleAsync(MarketCandle candle)
    {
        ArgumentNullException.ThrowIfNull(candle);
        var candles = state.State.Candles;
        var rejection = CandleRejection(candle, candles.Count == 0 ? null : candles[^1]);
        if (rejection != TickRejection.Accepted)
        {
            LogCandleRejected(this.GetPrimaryKeyString(), candle.OpenTime, rejection);
            return Task.FromResult(new TickOutcome(rejection, 0));
        }

        candles.Add(candle);
        _features.Add(candle.ToRiskCandle());
        if (candles.Count > _options.CandleLookback)
        {
            candles.RemoveRange(0, candles.Count - _options.CandleLookback);
        }

        _dirty = true;
        if (Features() is { } features)
        {
            // The risk engine prices with the features of the latest closed candle: its risk grain holds them for the workers.
            _ = GrainFactory.GetGrain<IRiskGrain>(this.GetPrimaryKeyString()).OnCandleClosedAsync(features);
        }

        return Task.FromResult(new TickOutcome(TickRejection.Accepted, 0));
    }

    /// <inheritdoc />
    public Task<(long PriceE8, DateTimeOffset At)> GetPriceAsync() =>
        Task.FromResult((state.State.LastPriceE8, state.State.LastTickAt));

    /// <inheritdoc />
    public Task<IReadOnlyList<MarketCandle>> GetCandlesAsync(int limit) =>
        Task.FromResult<IReadOnlyList<MarketCandle>>(state.State.Candles.TakeLast(Math.Max(0, limit)).ToArray());

    /// <inheritdoc />
    public Task<MarketFeatures?> GetFeaturesAsync() => Task.FromResult(Features());

    private MarketFeatures? Features()
    {
        if (!_features.TryGetMarketFeatures(out var values) || _features.Last is not { } last)
        {
            return null;
        }

        var lastPrice = state.State.LastPriceE8 > 0 ? state.State.LastPriceE8 : state.State.Candles[^1].CloseE8;
        return new MarketFeatures(last.OpenTime, lastPrice, state.State.LastTickAt, FeatureWindow.MarketFeatureNames, values, _features.QuoteVolume24h());
    }

    /// <inheritdoc />
    public async Task<MarketSnapshot> GetSnapshotAsync()
    {
        // Shards answer from memory; a shard activating here asks this grain only for its price, a read that interleaves.
        var shards = await Task.WhenAll(_feeds.Select(f => f.Shard.GetSnapshotAsync()));
        return new MarketSnapshot(
            this.GetPrimaryKeyString(),
            state.State.LastPriceE8,
            state.State.LastTickAt,
            state.State.TicksAccepted,
            state.State.TicksRejected,
            state.State.LastRejection,
            state.State.Candles.Count,
            shards.Sum(s => s.Rows),
            shards.Sum(s => s.ArmedBands));
    }

    private static TickRejection CandleRejection(MarketCandle candle, MarketCandle? previous)
    {
        if (candle.LowE8 <= 0)
        {
            return TickRejection.NonPositivePrice;
        }

        var consistent = candle.HighE8 >= candle.LowE8 &&
                         candle.OpenE8 >= candle.LowE8 && candle.OpenE8 <= candle.HighE8 &&
                         candle.CloseE8 >= candle.LowE8 && candle.CloseE8 <= candle.HighE8 &&
                         candle.Volume >= 0 && double.IsFinite(candle.Volume);
        if (!consistent)
        {
            return TickRejection.MalformedCandle;
        }

        return previous is not null && candle.OpenTime <= previous.OpenTime ? TickRejection.OutOfOrder : TickRejection.Accepted;
    }

    private async Task FlushIfDirtyAsync(CancellationToken cancellationToken)
    {
        if (!_dirty)
        {
            return;
        }

        _dirty = false;
        await state.WriteStateAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Market {Asset} rejected tick {PriceE8} at {Timestamp}: {Reason}")]
    private partial void LogTickRejected(string asset, long priceE8, DateTimeOffset timestamp, TickRejection reason);

    private void LogShardUnreachable(IMarketBookGrain shard, Exception error) =>
        LogShardFailed(shard.GetPrimaryKeyString(), error.Message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Book shard {Shard} did not take a price (the next tick retries): {Reason}")]
    private partial void LogShardFailed(string shard, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Market {Asset} rejected candle opening {OpenTime}: {Reason}")]
    private partial void LogCandleRejected(string asset, DateTimeOffset openTime, TickRejection reason);
}
