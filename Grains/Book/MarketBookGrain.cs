using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Grains.Positions;
using Aml.Orleans.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace Aml.Orleans.Grains.Book;

/// <summary>
/// A book shard: owns a <see cref="PositionBook"/>, its <see cref="BookFlusher"/> and its rows in
/// <see cref="PositionBookTable"/>. Nothing here runs per position: a price costs two heap peeks unless it crosses a
/// band, and a sweep takes only the rows that are due.
/// </summary>
/// <remarks>
/// Reentrant so that upserts arriving while a flush is on its way join the next one (group commit) instead of queueing
/// behind it; every change to the book happens between awaits, so turns never see it half-changed.
/// Placed at random, not by the default resource-optimized placement, which favours the calling silo (the market's):
/// shards spread over the silos whenever they activate. Shards that activated while the first silo was alone stay
/// there until they move (a lost silo, idle collection); see README.md, Placement.
/// </remarks>
[Reentrant]
[RandomPlacement]
internal sealed partial class MarketBookGrain(
    PositionBookTable table,
    IOptions<MarketOptions> markets,
    IOptions<MarketCatalogOptions> catalog,
    IOptions<PositionOptions> positions,
    TimeProvider clock,
    IServiceProvider services,
    ILogger<MarketBookGrain> logger) : Grain, IMarketBookGrain
{
    private readonly List<PositionKey> _taken = [];
    private readonly TraderTable _traders = new();
    private BookShardKey _shard;
    private PositionBook _book = null!;
    private BookFlusher _flusher = null!;
    private long _lastPriceE8;
    private DateTimeOffset _lastTickAt;
    private long _pricesSeen, _woken, _rearmed, _due, _batchAssessed, _batchWoken;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _shard = BookShardKey.Parse(this.GetPrimaryKeyString());
        var (rows, traders) = await table.LoadWithTradersAsync(_shard, cancellationToken);
        _book = new PositionBook(rows.Length);
        _book.Load(rows);
        for (var i = 0; i < rows.Length; i++)
        {
            if (traders[i] is { } trader)
            {
                _traders.Set(rows[i].Key, trader); // so a due row is priced in the batch without waking its position
            }
        }

        _flusher = new BookFlusher(_book, (delta, ct) => table.WriteAsync(_shard, delta, TraderOf, ct));
        _liquidator = NewLiquidator();

        // A wake-up the previous activation took but had not dealt with is armed again by the load; the market's
        // latest price decides it now, so a crash never loses one even when no further tick comes.
        var (price, at) = await GrainFactory.GetGrain<IMarketGrain>(_shard.Market).GetPriceAsync();
        if (price > 0)
        {
            Observe(price, at);
        }

        var options = markets.Value;
        this.RegisterGrainTimer(FlushAsync, new GrainTimerCreationOptions
        {
            DueTime = options.BookFlushInterval, Period = options.BookFlushInterval, Interleave = false, KeepAlive = false,
        });
        this.RegisterGrainTimer(SweepAsync, new GrainTimerCreationOptions
        {
            DueTime = options.BookSweepInterval, Period = options.BookSweepInterval, Interleave = false, KeepAlive = true,
        });
        LogLoaded(_shard.ToString(), rows.Length);
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        FlushAsync(cancellationToken);

    /// <inheritdoc />
    public Task MoveToAsync(SiloAddress silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        if (!silo.Equals(GrainContext.Address.SiloAddress))
        {
            // Migration reads its destination from the request context it is started in.
            RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
            this.MigrateOnIdle();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task OnPriceAsync(long priceE8, DateTimeOffset at)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(priceE8);
        if (at >= _lastTickAt)
        {
            Observe(priceE8, at);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task UpsertAsync(BookRow row, string trader, bool wakeIfCrossed)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(trader);
        var home = BookShardKey.For(_shard.Market, row.Key, catalog.Value.BookBucketsFor(_shard.Market));
        if (home != _shard)
        {
            throw new ArgumentException($"position {row.Key} belongs to book shard {home}, not {_shard}", nameof(row));
        }

        var sequence = _book.Upsert(row); // validates first: a bad row changes nothing
        _traders.Set(row.Key, trader);
        if (wakeIfCrossed && _lastPriceE8 > 0 && (row.Liquidation.IsCrossedAt(_lastPriceE8) || row.Warning.IsCrossedAt(_lastPriceE8)))
        {
            // The price moved past a band while the position was deciding: waiting for the next crossing could wait forever.
            Observe(_lastPriceE8, _lastTickAt);
        }

        await _flusher.WhenDurableAsync(sequence);
    }

    /// <inheritdoc />
    public async Task SeedAsync(BookRow[] rows, string[] traders)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(traders);
        if (rows.Length != traders.Length)
        {
            throw new ArgumentException($"traders: {traders.Length} traders for {rows.Length} rows", nameof(traders));
        }

        var buckets = catalog.Value.BookBucketsFor(_shard.Market);
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i].Validate();
            ArgumentException.ThrowIfNullOrWhiteSpace(traders[i], nameof(traders));
            if (BookShardKey.For(_shard.Market, rows[i].Key, buckets) is var home && home != _shard)
            {
                throw new ArgumentException($"rows: position {rows[i].Key} belongs to book shard {home}, not {_shard}", nameof(rows));
            }
        }

        long sequence = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            sequence = _book.Upsert(rows[i]);
            _traders.Set(rows[i].Key, traders[i]);
        }

        if (rows.Length > 0)
        {
            await _flusher.WhenDurableAsync(sequence);
        }
    }

    /// <inheritdoc />
    public async Task RemoveAsync(PositionKey position)
    {
        _traders.Remove(position);
        if (_book.Remove(position, out var sequence))
        {
            await _flusher.WhenDurableAsync(sequence);
        }
    }

    /// <inheritdoc />
    public Task<BookShardSnapshot> GetSnapshotAsync() => Task.FromResult(new BookShardSnapshot(
        _book.Count, _book.ArmedBands, _book.Scheduled, _lastPriceE8, _pricesSeen, _woken, _rearmed, _due, _batchAssessed, _batchWoken, _liquidationsSubmitted, _lastRound));

    /// <inheritdoc />
    public Task<BookRow?> GetRowAsync(PositionKey position) =>
        Task.FromResult(_book.TryGet(position, out var row) ? row : (BookRow?)null);

    /// <summary>
    /// Takes the rows a move to <paramref name="priceE8"/> crossed. A row liquidatable at it, or whose liquidation band
    /// it crossed (that band carries the borrow fee the row does not), wakes its position; any other crossing is a
    /// warning or a recovery, answered here by re-arming the row at this mark: the suggestion is computed when the
    /// position is read.
    /// </summary>
    private void Observe(long priceE8, DateTimeOffset at)
    {
        (_lastPriceE8, _lastTickAt) = (priceE8, at);
        _pricesSeen++;
        _taken.Clear();
        if (_book.TakeCrossed(priceE8, _taken) == 0)
        {
            return;
        }

        var now = clock.GetUtcNow();
        var nowSeconds = now.ToUnixTimeSeconds();
        var retryAtMs = (now + positions.Value.RetryInterval).ToUnixTimeMilliseconds();
        var liquidations = new List<PositionKey>();
        foreach (var key in _taken)
        {
            _book.TryGet(key, out var row);
            if (row.Liquidation.IsCrossedAt(priceE8) || BookHealth.Of(row, priceE8, nowSeconds).Liquidatable)
            {
                _woken++;
                // Its bands are now disarmed: if the decision or the wake-up is lost (PostgreSQL or the oracle away),
                // the sweep wakes the position one retry interval later. A submitted liquidation or the position's own
                // upsert replaces that time.
                _book.Reschedule(key, retryAtMs);
                if (_liquidator is null)
                {
                    WakeCrossed(key, priceE8, at);
                }
                else
                {
                    liquidations.Add(key);
                }

                continue;
            }

            // Not stored until the next flush: a crash reloads the older bands, which wake the row again at worst.
            var rearmed = PositionBands.At(row, priceE8, positions.Value.WarningMultipleBps, nowSeconds);
            _book.Upsert(rearmed with { Liquidation = row.Liquidation });
            _rearmed++;
        }

        if (liquidations.Count > 0)
        {
            _ = LiquidateAsync(liquidations, priceE8, at, now); // on the grain's scheduler, off the tick's turn
        }
    }

    /// <summary>
    /// Takes the rows due now, a batch at a time. A row with no band (a decision on its way, a frozen position), one
    /// liquidatable at the latest price, or one whose trader this activation has not seen yet wakes its position, which
    /// alone knows what to do. The others are priced in one batch through the risk engine and only the positions whose
    /// terms should change are woken (to build and send their ADJUST); the rest are due again one interval later.
    /// Every row taken is first queued again one retry interval later, so a wake-up or a batch lost on its way is
    /// repeated; the position's own upsert replaces that time.
    /// </summary>
    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        var batch = markets.Value.BookSweepBatch;
        var candidates = new List<(PositionKey Key, BookRow Row, string Trader)>(batch);
        int taken;
        do
        {
            var now = clock.GetUtcNow();
            var retryAtMs = (now + positions.Value.RetryInterval).ToUnixTimeMilliseconds();
            _taken.Clear();
            candidates.Clear();
            taken = _book.TakeDue(now.ToUnixTimeMilliseconds(), batch, _taken);
            foreach (var key in _taken)
            {
                _book.Reschedule(key, retryAtMs);
                _book.TryGet(key, out var row);
                if (NeedsThePosition(row, now.ToUnixTimeSeconds()) || !_traders.TryGet(key, out var trader))
                {
                    Wake(key);
                }
                else
                {
                    candidates.Add((key, row, trader));
                }
            }

            if (candidates.Count > 0)
            {
                await ReassessAsync(candidates, now, retryAtMs);
            }
        }
        while (taken == batch && !cancellationToken.IsCancellationRequested);
    }

    private string? TraderOf(PositionKey position) => _traders.TryGet(position, out var trader) ? trader : null;

    private bool NeedsThePosition(in BookRow row, long nowSeconds) =>
        (!row.Liquidation.IsSet && !row.Warning.IsSet) ||
        (_lastPriceE8 > 0 && BookHealth.Of(row, _lastPriceE8, nowSeconds).Liquidatable);

    private void Wake(PositionKey key)
    {
        _due++;
        _ = GrainFactory.GetGrain<IPositionEngineGrain>(key.ToString()).OnDueAsync();
    }

    /// <summary>
    /// Prices <paramref name="candidates"/> in one batch (the market's features read once, each distinct trader's
    /// profile once) and applies the position's own hysteresis against the row's terms.
    /// </summary>
    private async Task ReassessAsync(List<(PositionKey Key, BookRow Row, string Trader)> candidates, DateTimeOffset now, long retryAtMs)
    {
        var nextAtMs = (now + positions.Value.ReassessInterval).ToUnixTimeMilliseconds();
        var traders = candidates.Select(c => c.Trader).Distinct(StringComparer.Ordinal).ToArray();
        var profiles = await Task.WhenAll(traders.Select(t => GrainFactory.GetGrain<ITraderGrain>(t).GetProfileAsync()));
        var byTrader = traders.Zip(profiles).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
        var requests = candidates.Select(c => TermsHysteresis.Request(c.Row.IsLong, c.Row.Collateral, c.Row.Size, byTrader[c.Trader])).ToArray();
        var priced = await GrainFactory.GetGrain<IRiskEngineGrain>(_shard.Market).AssessBatchAsync(requests);
        if (priced.Assessments is not { } assessments)
        {
            // As a position does when its models cannot answer: try again one interval later.
            LogBatchFailed(_shard.ToString(), candidates.Count, priced.Refusal ?? "refused");
            foreach (var c in candidates)
            {
                RescheduleIfUntouched(c.Key, retryAtMs, nextAtMs);
            }

            return;
        }

        var nowSeconds = now.ToUnixTimeSeconds();
        for (var i = 0; i < candidates.Count; i++)
        {
            var (key, row, _) = candidates[i];
            _batchAssessed++;
            var target = row.PendingMarginBps != 0 ? row.PendingMarginBps : row.MarginBpsAt(nowSeconds);
            if (TermsHysteresis.ShouldAdjust(assessments[i], target, row.MaxLeverageX100, row.RiskScoreBps, positions.Value))
            {
                _batchWoken++;
                Wake(key); // it reassesses itself, sends the ADJUST and upserts its row
            }
            else
            {
                RescheduleIfUntouched(key, retryAtMs, nextAtMs);
            }
        }
    }

    /// <summary>Moves the row to <paramref name="atMs"/> unless the position upserted it while the batch was priced.</summary>
    private void RescheduleIfUntouched(PositionKey key, long retryAtMs, long atMs)
    {
        if (_book.TryGet(key, out var row) && row.NextReassessAtMs == retryAtMs)
        {
            _book.Reschedule(key, atMs);
        }
    }

    /// <summary>Writes what changed since the last flush (re-arms, reschedules) and retries a flush that failed.</summary>
    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_flusher is null || (!_book.HasChanges && _flusher.Waiting == 0))
        {
            return;
        }

        try
        {
            await _flusher.FlushAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or OperationCanceledException or InvalidOperationException)
        {
            LogFlushFailed(_shard.ToString(), ex.Message); // the delta went back to the book; the next tick retries
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Book shard {Shard} loaded {Rows} rows")]
    private partial void LogLoaded(string shard, int rows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Book shard {Shard} could not reassess {Rows} rows: {Reason}")]
    private partial void LogBatchFailed(string shard, int rows, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Book shard {Shard} could not flush: {Reason}")]
    private partial void LogFlushFailed(string shard, string reason);
}
