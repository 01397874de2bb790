using Orleans.Concurrency;

namespace Aml.Orleans.Grains.Book;

/// <summary>
/// One shard of a market's position book (key: <see cref="BookShardKey"/>, <c>ETH-USD/3</c>): the compact rows of the
/// positions in its bucket, their bands and reassessment times. The market hands it each accepted price; it wakes only
/// the positions that need a decision. Positions upsert their row after every change that moves their bands or terms.
/// </summary>
[Alias("aml.IMarketBookGrain")]
public interface IMarketBookGrain : IGrainWithStringKey
{
    /// <summary>
    /// A price the market accepted. The shard wakes the positions a crossed band makes liquidatable and re-arms the
    /// warning and recovery bands of the others at this mark (no activation). Older prices than the newest seen are ignored.
    /// </summary>
    Task OnPriceAsync(long priceE8, DateTimeOffset at);

    /// <summary>
    /// Inserts or replaces the position's row; returns once it is stored (group commit), so the position may deactivate.
    /// <paramref name="trader"/> (the trader grain's key) lets the reassessment sweep price the row without waking it.
    /// With <paramref name="wakeIfCrossed"/>, a band already crossed at the shard's latest price wakes the position at
    /// once (the price moved while it was deciding); without it, the next tick or the row's due time wakes it.
    /// </summary>
    /// <exception cref="ArgumentException">The row is not a live position's, or belongs to another shard (nothing changes).</exception>
    Task UpsertAsync(BookRow row, string trader, bool wakeIfCrossed);

    /// <summary>
    /// Rows of positions delivered in bulk (<see cref="PositionSeeder"/>: the indexer's first sync, the load harness),
    /// with the trader of each at the same index: each is inserted or replaces the stored one, and none wakes its
    /// position (the next tick or its due time does). Returns once all of them are stored, as one delta.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// A row is invalid or of another shard, a trader is blank, or the counts differ: checked before anything changes.
    /// </exception>
    Task SeedAsync(BookRow[] rows, string[] traders);

    /// <summary>Removes the position's row (a final status); returns once the removal is stored.</summary>
    Task RemoveAsync(PositionKey position);

    /// <summary>
    /// Moves the shard to <paramref name="silo"/> once it is idle (Orleans' live migration: its rows are flushed as it
    /// deactivates and loaded there); nothing when it is there already. <see cref="IBookSpreaderGrain"/> calls it.
    /// </summary>
    Task MoveToAsync(SiloAddress silo);

    /// <summary>The shard's counters, for tests, dashboards and the market's snapshot.</summary>
    [ReadOnly]
    Task<BookShardSnapshot> GetSnapshotAsync();

    /// <summary>The stored row of <paramref name="position"/>, or null when the shard has none.</summary>
    [ReadOnly]
    Task<BookRow?> GetRowAsync(PositionKey position);
}

/// <summary>What one book shard holds and has done since it activated.</summary>
/// <param name="Rows">Positions in the shard.</param>
/// <param name="ArmedBands">Bands a tick can still take.</param>
/// <param name="Scheduled">Rows queued for a sweep.</param>
/// <param name="LastPriceE8">The newest price the shard has seen (0: none yet).</param>
/// <param name="PricesSeen">Prices handed to it (conflated: a busy shard sees only the newest).</param>
/// <param name="PositionsWoken">Rows a crossed band made liquidatable (liquidated by the shard, or their position woken).</param>
/// <param name="BandsRearmed">Warning or recovery crossings answered by re-arming the row, without waking the position.</param>
/// <param name="PositionsDue">Positions woken by the sweep (a decision on its way, a retry, terms that should change).</param>
/// <param name="BatchAssessed">Due rows the sweep priced in a batch without waking their positions.</param>
/// <param name="BatchWoken">Of those, the positions woken because their terms should change (an ADJUST).</param>
/// <param name="LiquidationsSubmitted">Liquidations the shard decided itself and the oracle took in (a cascade's path).</param>
/// <param name="LastLiquidationRound">When the shard's latest liquidation round passed each of its stages (null: none yet).</param>
[GenerateSerializer, Immutable, Alias("aml.BookShardSnapshot")]
public sealed record BookShardSnapshot(
    int Rows,
    int ArmedBands,
    int Scheduled,
    long LastPriceE8,
    long PricesSeen,
    long PositionsWoken,
    long BandsRearmed,
    long PositionsDue,
    long BatchAssessed,
    long BatchWoken,
    long LiquidationsSubmitted = 0,
    LiquidationRoundTimes? LastLiquidationRound = null);

/// <summary>
/// The stages of one liquidation round of a book shard, on the silo's clock: where the time from a tick to the oracle went.
/// </summary>
/// <param name="PriceE8">The price that crossed the bands.</param>
/// <param name="Positions">Rows the round took.</param>
/// <param name="CrossedAt">The shard found the crossings (its turn for the price).</param>
/// <param name="StatesReadAt">The positions' stored state was read and their decisions made.</param>
/// <param name="SubmittedAt">The oracle acknowledged them (their group stored).</param>
[GenerateSerializer, Immutable, Alias("aml.LiquidationRoundTimes")]
public sealed record LiquidationRoundTimes(long PriceE8, int Positions, DateTimeOffset CrossedAt, DateTimeOffset StatesReadAt, DateTimeOffset SubmittedAt);
