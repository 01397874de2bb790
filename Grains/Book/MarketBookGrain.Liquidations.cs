using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Positions;
using Aml.Orleans.Grains.Storage;
using Aml.Orleans.Grains.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aml.Orleans.Grains.Book;

/// <summary>A shard's liquidations: decided here from the positions' stored state, many per oracle call.</summary>
internal sealed partial class MarketBookGrain
{
    /// <summary>Decisions per oracle call: a cascade of ten thousand is a few dozen messages, none of them huge.</summary>
    private const int DecisionsPerOracleCall = 500;

    /// <summary>
    /// Positions told of their liquidation at once: ten thousand activations at once would queue behind each other past
    /// their messages' expiry, and compete with the oracle for the cores while the batches land.
    /// </summary>
    private const int PositionsToldAtOnce = 8;

    // Null where position state is not in PostgreSQL (a test cluster keeping grain state in memory) or no oracle is
    // configured: each crossing then wakes its position, which decides alone.
    private BookLiquidator? _liquidator;
    private long _liquidationsSubmitted;
    private LiquidationRoundTimes? _lastRound;

    private BookLiquidator? NewLiquidator() =>
        services.GetService<PositionStateTable>() is { } states && positions.Value.OracleKey.Length > 0
            ? new BookLiquidator(
                states, new LiquidationRule(catalog.Value, positions.Value, clock),
                GrainFactory.GetGrain<IOracleGrain>(positions.Value.OracleKey), DecisionsPerOracleCall, clock)
            : null;

    /// <summary>One-way: the shard never waits on a position, which may itself be upserting here.</summary>
    private void WakeCrossed(PositionKey key, long priceE8, DateTimeOffset at) =>
        _ = GrainFactory.GetGrain<IPositionEngineGrain>(key.ToString()).OnBandCrossedAsync(priceE8, at);

    /// <summary>
    /// Liquidates <paramref name="keys"/>, whose crossing was found at <paramref name="crossedAt"/> (their bands taken, their rows due one retry interval from now) through the
    /// oracle in one group. A submitted row waits for its outcome as a position's own would: no bands, due just after
    /// the decision expires (the chain's event removes or re-publishes it first). A refused one and one the rule leaves
    /// to its position wake the position. One log line per round, however many positions it held.
    /// </summary>
    private async Task LiquidateAsync(List<PositionKey> keys, long priceE8, DateTimeOffset at, DateTimeOffset crossedAt)
    {
        using var activity = EngineTelemetry.Source.StartActivity("aml.book.liquidate");
        activity?.SetTag("aml.shard", _shard.ToString());
        activity?.SetTag("aml.position_count", keys.Count);
        LiquidationRound round;
        try
        {
            round = await _liquidator!.RunAsync(keys, priceE8, at);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException or ArgumentException or OrleansException)
        {
            // Nothing acknowledged: the rows stay due one retry interval from now, when the sweep wakes their positions.
            LogLiquidationsFailed(_shard.ToString(), keys.Count, priceE8, ex.Message);
            return;
        }

        _lastRound = new LiquidationRoundTimes(priceE8, keys.Count, crossedAt, round.StatesReadAt, clock.GetUtcNow());

        long sequence = 0;
        string? firstRefusal = null;
        var refused = 0;
        var told = new List<(PositionKey Key, Decision Decision, string Digest)>(round.Submitted.Count);
        foreach (var (key, decision, audit) in round.Submitted)
        {
            if (audit.Status == SubmissionStatus.Failed)
            {
                (refused, firstRefusal) = (refused + 1, firstRefusal ?? audit.Outcome);
                WakeCrossed(key, priceE8, at); // the position decides again and records why
                continue;
            }

            _liquidationsSubmitted++;
            told.Add((key, decision, audit.Digest));
            if (_book.TryGet(key, out var row) && row.Version == decision.PositionVersion)
            {
                sequence = _book.Upsert(row with
                {
                    Liquidation = BookBand.None, Warning = BookBand.None, NextReassessAtMs = checked(((long)decision.ValidUntil + 1) * 1000),
                });
            }
        }

        foreach (var key in round.ForThePosition)
        {
            WakeCrossed(key, priceE8, at);
        }

        LogLiquidations(_shard.ToString(), priceE8, keys.Count, round.Submitted.Count - refused, round.ForThePosition.Count, refused, firstRefusal);
        if (sequence != 0)
        {
            await WhenDurableOrLaterAsync(sequence);
        }

        await TellPositionsAsync(told);
    }

    /// <summary>
    /// Tells each position the liquidation the oracle holds for it, <see cref="PositionsToldAtOnce"/> at a time, after
    /// the decisions are durable and off the tick-to-signed path. A position not told still follows the chain's event.
    /// </summary>
    private async Task TellPositionsAsync(List<(PositionKey Key, Decision Decision, string Digest)> told)
    {
        var window = new List<Task<bool>>(PositionsToldAtOnce);
        var failed = 0;
        foreach (var (key, decision, digest) in told)
        {
            if (window.Count == PositionsToldAtOnce)
            {
                var done = await Task.WhenAny(window);
                window.Remove(done);
                failed += await done ? 0 : 1;
            }

            window.Add(TellAsync(key, decision, digest));
        }

        failed += (await Task.WhenAll(window)).Count(ok => !ok);
        if (failed > 0)
        {
            LogNotTold(_shard.ToString(), failed, told.Count);
        }
    }

    private async Task<bool> TellAsync(PositionKey key, Decision decision, string digest)
    {
        try
        {
            await GrainFactory.GetGrain<IPositionEngineGrain>(key.ToString()).OnLiquidationSubmittedAsync(decision, digest);
            return true;
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException or Npgsql.NpgsqlException or global::Orleans.Storage.InconsistentStateException)
        {
            return false;
        }
    }

    /// <summary>Waits for the rows to be stored; a failed flush is retried by the flush timer, so this only logs.</summary>
    private async Task WhenDurableOrLaterAsync(long sequence)
    {
        try
        {
            await _flusher.WhenDurableAsync(sequence);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or OperationCanceledException or InvalidOperationException)
        {
            LogFlushFailed(_shard.ToString(), ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Book shard {Shard} at {PriceE8}: {Crossed} liquidation bands crossed; {Submitted} liquidations submitted, {ForThePosition} left to their position, {Refused} refused (first: {Refusal})")]
    private partial void LogLiquidations(string shard, long priceE8, int crossed, int submitted, int forThePosition, int refused, string? refusal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Book shard {Shard} could not tell {Failed} of {Count} positions of their liquidation; they follow the chain's events instead")]
    private partial void LogNotTold(string shard, int failed, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Book shard {Shard} could not liquidate {Rows} rows at {PriceE8}, the sweep retries: {Reason}")]
    private partial void LogLiquidationsFailed(string shard, int rows, long priceE8, string reason);
}
