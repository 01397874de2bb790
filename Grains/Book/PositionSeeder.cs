using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Positions;
using Aml.Orleans.Grains.Storage;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;

namespace Aml.Orleans.Grains.Book;

/// <summary>
/// An open position as the indexer delivers it: its id (bytes32 hex), the contract's view of it, the time of the block
/// that last changed it (a decision needs a price at least as new), and the model and features hashes of the decision
/// whose terms it holds (later decisions cite them; the chain's event names that decision).
/// </summary>
public sealed record SeededPosition(string PositionId, ChainPosition Position, DateTimeOffset ChangedAt, string ModelHash, string FeaturesHash);

/// <summary>
/// What a bulk delivery needs to know of its market: the book's bucket count (as the silo's catalog has it), the
/// borrow rate the bands count the fee with, and the latest price the bands are set at.
/// </summary>
public sealed record SeedMarket(string Asset, int BookBuckets, uint BorrowRateBpsPerDay, long MarkPriceE8);

/// <summary>
/// The bulk path for open positions delivered in bulk (the indexer's first sync, a new fleet, the load harness): each
/// position's grain state goes into grain storage in one COPY (<see cref="PositionStateTable"/>) and its book row into
/// its shard in a few large calls (<see cref="IMarketBookGrain.SeedAsync"/>), with no position grain activated. The
/// state is stored first, so a row that wakes its position always finds the state to activate from; a position whose
/// state is stored already is left alone, book row included (the silo knows it better than this delivery).
/// </summary>
public sealed class PositionSeeder(IGrainFactory grains, PositionStateTable states, PositionOptions options, TimeProvider clock)
{
    /// <summary>Rows per shard call: about 1 MB on the wire, far below Orleans' message limit.</summary>
    public const int RowsPerCall = 8_192;

    /// <summary>
    /// Stores <paramref name="positions"/> (all of <paramref name="market"/>) and returns the ids of those that were new,
    /// as their grains are keyed. Every position is checked before anything is stored.
    /// </summary>
    /// <exception cref="ArgumentException">A position is not open, of another market, or has impossible terms.</exception>
    public async Task<IReadOnlyList<string>> SeedAsync(SeedMarket market, IReadOnlyList<SeededPosition> positions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(market);
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(market.MarkPriceE8);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(market.BookBuckets);
        var now = clock.GetUtcNow();
        var built = new (string Id, PositionState State, BookRow Row)[positions.Count];
        for (var i = 0; i < positions.Count; i++)
        {
            var (id, chain, changedAt, modelHash, featuresHash) = positions[i];
            if (chain.Asset != market.Asset || chain.Status != ChainPositionStatus.Open)
            {
                throw new ArgumentException(
                    $"positions[{i}]: position {id} is {chain.Status} on {chain.Asset}; only open positions of {market.Asset} are seeded", nameof(positions));
            }

            if (!PositionKey.TryParse(id, out var key))
            {
                throw new ArgumentException($"positions[{i}]: '{id}' is not a position id (0x and 64 hex digits)", nameof(positions));
            }

            CheckHash(modelHash, $"positions[{i}].ModelHash");
            CheckHash(featuresHash, $"positions[{i}].FeaturesHash");

            // Stored under the key as the shards format it, since that is the grain a shard wakes.
            var state = StateOf(chain, now);
            (state.LastChainChangeAt, state.ModelHash, state.FeaturesHash) = (changedAt, modelHash, featuresHash);
            built[i] = (key.ToString(), state, RowOf(key, state, market, now));
        }

        var stored = await states.InsertMissingAsync(built.Select(b => (b.Id, b.State)).ToList(), cancellationToken);
        var isNew = new HashSet<string>(stored, StringComparer.Ordinal);
        var byShard = built.Where(b => isNew.Contains(b.Id))
            .GroupBy(b => BookShardKey.For(market.Asset, b.Row.Key, market.BookBuckets));
        await Parallel.ForEachAsync(byShard, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (shard, _) =>
        {
            var grain = grains.GetGrain<IMarketBookGrain>(shard.Key.ToString());
            foreach (var chunk in shard.Chunk(RowsPerCall))
            {
                await grain.SeedAsync(chunk.Select(b => b.Row).ToArray(), chunk.Select(b => b.State.Trader).ToArray());
            }
        });
        return stored;
    }

    /// <summary>The state a position grain holds after the chain's PositionOpened event, as of <paramref name="now"/>.</summary>
    private static PositionState StateOf(ChainPosition chain, DateTimeOffset now)
    {
        // The terms as the grain's own reconciliation copies them, so a seeded position is the one the event would make.
        var s = new PositionState
        {
            Status = PositionStatus.Open,
            OpenedAt = now,
            LastReassessedAt = now, // as after an open: the first reassessment comes one interval later
            UpdatedAt = now,
        };
        ChainReconciliation.CopyTerms(s, chain);
        return s;
    }

    /// <summary>
    /// The row the position would upsert itself: its bands beyond the mark, due one reassessment interval from now; a
    /// position already liquidatable at the mark gets its liquidation band at the liquidation price (crossed) and is
    /// due at once, so the shard's next sweep wakes it.
    /// </summary>
    private BookRow RowOf(PositionKey key, PositionState s, SeedMarket market, DateTimeOffset now)
    {
        var row = new BookRow(
            key, s.IsLong, s.RiskScoreBps, s.MaxLeverageX100, s.Collateral, s.Size, s.EntryPriceE8, s.MaintenanceMarginBps,
            s.PendingMarginBps, s.PendingMarginFrom, s.OnChainVersion, BookBand.None, BookBand.None,
            (now + options.ReassessInterval).ToUnixTimeMilliseconds());
        row.Validate();
        var nowSeconds = now.ToUnixTimeSeconds();
        var fee = BorrowFeeAt(s, market.BorrowRateBpsPerDay, now + options.ReassessInterval);
        var terms = row.TermsAt(nowSeconds) with { BorrowFee = fee };
        if (!MarginMath.IsLiquidatable(terms, market.MarkPriceE8))
        {
            return PositionBands.At(row, market.MarkPriceE8, options.WarningMultipleBps, nowSeconds, fee);
        }

        var liquidation = MarginMath.LiquidationPrice(terms);
        return row with
        {
            Liquidation = s.Frozen || liquidation <= 0 ? BookBand.None : new BookBand(s.IsLong ? BandDirection.Falling : BandDirection.Rising, liquidation),
            NextReassessAtMs = now.ToUnixTimeMilliseconds(),
        };
    }

    private static void CheckHash(string hash, string field)
    {
        try
        {
            _ = Bytes32.Parse(hash);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw new ArgumentException($"{field}: '{hash}' is not a bytes32 hash (0x and 64 hex digits)", nameof(SeededPosition), ex);
        }
    }

    /// <summary>The contract's borrow fee at <paramref name="at"/>: <c>size × (market − position index) / 864e6</c>.</summary>
    private static long BorrowFeeAt(PositionState s, uint rateBpsPerDay, DateTimeOffset at)
    {
        if (s.BorrowIndexAt == 0)
        {
            return 0; // no index read: no fee known, as in the position grain
        }

        var seconds = (ulong)Math.Max(0, at.ToUnixTimeSeconds() - (long)s.BorrowIndexAt);
        var index = s.MarketBorrowIndex + MarginMath.BorrowIndexGrowth(rateBpsPerDay, seconds);
        return index > s.PositionBorrowIndex ? MarginMath.BorrowFee(s.Size, index - s.PositionBorrowIndex) : 0;
    }
}
