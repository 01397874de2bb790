using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using ChainEvents = Aml.Orleans.Ethereum.MarginManagerNames.Events;

namespace Aml.Orleans.Grains.Positions;

/// <summary>What the position grain does after a chain event has been folded into its state.</summary>
internal enum ChainFollowUp
{
    /// <summary>An older event than the state already holds: nothing changed, nothing to write.</summary>
    Ignored,

    /// <summary>An older event that still names an escrowed payout: write the state, nothing else.</summary>
    EscrowOnly,

    /// <summary>Applied, but neither live nor final (not on-chain): write the state, nothing else.</summary>
    Hold,

    /// <summary>Live: write the state and upsert the book row at the mark.</summary>
    Publish,

    /// <summary>Live, and the pending decision was skipped for a stale version: look again at today's terms.</summary>
    Reevaluate,

    /// <summary>Final (a replay of the end): write the state and remove the book row.</summary>
    Remove,

    /// <summary>Final for the first time: write the state, remove the book row, record the outcome with the trader.</summary>
    RemoveAndRecordOutcome,
}

/// <summary>The state after a chain event, and what the grain does next.</summary>
internal sealed record ChainReconciled(PositionState State, ChainFollowUp FollowUp);

/// <summary>
/// Chain reconciliation as a pure reducer: the position's state and a contract event in, the new state and the grain's
/// next step out. The chain is the truth: its terms replace the grain's, an older read never brings back older terms,
/// and a decision of ours is settled, dropped or kept as pending according to what the event says. The input state is
/// never changed (the grain replaces its state with the result).
/// </summary>
/// <remarks>
/// The grain does the rest around it: which decision's model and features hashes the terms in force carry (from the
/// event, else the pending decision), the write, the row, the outcome.
/// </remarks>
internal static class ChainReconciliation
{
    /// <summary>The contract's <c>SkipReason.StaleVersion</c>.</summary>
    public const int StaleVersionSkip = 3;

    /// <summary>Applies <paramref name="chainEvent"/> to <paramref name="current"/> as seen at <paramref name="now"/>.</summary>
    public static ChainReconciled Apply(PositionState current, ChainPositionEvent chainEvent, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(chainEvent);
        var chain = chainEvent.Position;
        var s = current.Copy();
        var escrowed = chainEvent.EventName == ChainEvents.PayoutEscrowed;
        if (escrowed)
        {
            s.EscrowedPayout = chainEvent.Amount; // one settlement pays out, so one escrow: delivered twice, counted once
        }

        var olderRead = chain.Version < s.OnChainVersion ||
                        (chain.Version == s.OnChainVersion && chain.ReadAtBlock != 0 && chain.ReadAtBlock < s.ChainReadBlock);
        if (s.Exists && olderRead && PositionLifecycle.IsLive(s.Status))
        {
            // An older event replayed after a newer one, or the same version read before a top-up: the chain's later
            // state is already here.
            return escrowed ? new(s, ChainFollowUp.EscrowOnly) : new(current, ChainFollowUp.Ignored);
        }

        var wasLive = PositionLifecycle.IsLive(s.Status);
        if (!s.Exists || chain.Version != s.OnChainVersion)
        {
            // The contract compares a decision's price time with the block's time (its lastChange), ahead of or
            // behind ours; the arrival time stands in only for an event that carries no block time.
            s.LastChainChangeAt = chainEvent.BlockTimestamp != 0
                ? DateTimeOffset.FromUnixTimeSeconds((long)chainEvent.BlockTimestamp)
                : now;
        }

        CopyTerms(s, chain);
        s.OpenedAt ??= now;
        s.LastReassessedAt ??= now; // the terms were just decided: the first re-assessment comes one interval later

        if (chainEvent.DecisionDigest is { } closed && closed == s.CloseDigest)
        {
            (s.LastDecisionDigest, s.CloseDigest, s.CloseValidUntil) = (closed, null, 0);
        }

        var settledPending = chainEvent.DecisionDigest is { } digest && digest == s.PendingDigest;
        if (settledPending)
        {
            s.LastDecisionDigest = chainEvent.EventName == ChainEvents.DecisionSkipped ? s.LastDecisionDigest : chainEvent.DecisionDigest;
            (s.PendingDecision, s.PendingDigest) = (null, null);
        }
        else if (chainEvent is { EventName: ChainEvents.PositionLiquidated, DecisionDigest: { } liquidatedBy })
        {
            s.LastDecisionDigest = liquidatedBy; // a liquidation the book shard decided in a cascade: ours all the same
        }

        // The version moved past a pending decision (a top-up, another decision), or the position ended: it can never
        // apply now. An ended position keeps none: a shard's LIQUIDATE the oracle refused may be told to the position
        // after the refusal, and another one, or the trader's close, then ends it.
        if (s.PendingDecision is { } pending &&
            ((pending.PositionVersion != chain.Version && chain.Status == ChainPositionStatus.Open) ||
             chain.Status is ChainPositionStatus.Liquidated or ChainPositionStatus.Closed))
        {
            (s.PendingDecision, s.PendingDigest) = (null, null);
        }

        var chainStatus = chain.Status switch
        {
            ChainPositionStatus.Open => PositionStatus.Open,
            ChainPositionStatus.Closed => PositionStatus.Closed,
            ChainPositionStatus.Liquidated => PositionStatus.Liquidated,
            _ => s.Status,
        };

        // A decision of ours is still on its way at this version (the event is an older one, delivered again by the
        // indexer): the chain has not answered it yet, so the position keeps saying so.
        s.Status = chainStatus == PositionStatus.Open && s.PendingDecision is not null && PositionLifecycle.IsLive(s.Status)
            ? s.Status
            : chainStatus;
        s.UpdatedAt = now;

        var followUp = PositionLifecycle.IsLive(s.Status)
            ? settledPending && chainEvent.SkipReason == StaleVersionSkip ? ChainFollowUp.Reevaluate : ChainFollowUp.Publish
            : PositionLifecycle.IsFinal(s.Status)
                ? wasLive ? ChainFollowUp.RemoveAndRecordOutcome : ChainFollowUp.Remove
                : ChainFollowUp.Hold;
        return new(s, followUp);
    }

    /// <summary>The chain's terms onto the grain's state (also what the bulk seeder stores for a position never activated).</summary>
    internal static void CopyTerms(PositionState s, ChainPosition chain)
    {
        s.Exists = true;
        (s.Trader, s.Asset, s.IsLong) = (chain.Trader, chain.Asset, chain.IsLong);
        (s.Collateral, s.Size, s.EntryPriceE8) = (chain.Collateral, chain.Size, chain.EntryPriceE8);
        (s.MaxLeverageX100, s.MaintenanceMarginBps, s.RiskScoreBps) = (chain.MaxLeverageX100, chain.MaintenanceMarginBps, chain.RiskScoreBps);
        (s.OnChainVersion, s.Frozen) = (chain.Version, chain.Frozen);
        (s.PendingMarginBps, s.PendingMarginFrom) = (chain.PendingMarginBps, chain.PendingMarginFrom);
        (s.PositionBorrowIndex, s.MarketBorrowIndex, s.BorrowIndexAt) = (chain.PositionBorrowIndex, chain.MarketBorrowIndex, chain.BorrowIndexAt);
        s.ChainReadBlock = Math.Max(s.ChainReadBlock, chain.ReadAtBlock);
    }
}
