using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Positions;
using ChainEvents = Aml.Orleans.Ethereum.MarginManagerNames.Events;

namespace Aml.Orleans.Grains.Tests.Positions;

/// <summary>Chain reconciliation without a silo: state and event in, state and follow-up out, the input untouched.</summary>
public sealed class ChainReconciliationTests
{
    private const string Id = "0x00000000000000000000000000000000000000000000000000000000000000bb";
    private const string Trader = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    private const string OpenDigest = "0x" + "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a";
    private const string AdjustDigest = "0x" + "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";
    private static readonly DateTimeOffset Now = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static ChainPosition Chain(ulong version, ChainPositionStatus status = ChainPositionStatus.Open, long collateral = 500_000_000, ulong readAt = 0) =>
        new(Trader, "BTC-USD", true, collateral, 5_000_000_000, 47_000_00000000, 1_000, 250, 900, version, status, false, ReadAtBlock: readAt);

    private static ChainPositionEvent Event(string name, ChainPosition position, string? digest = null, int skip = 0, ulong blockTime = 0, long amount = 0) =>
        new(name, Id, digest, 100, "0x" + new string('e', 64), position, 0, 0, skip, blockTime, amount);

    private static Decision Pending(DecisionKind kind, ulong version) =>
        new(kind, Id, "BTC-USD", Trader, true, 500_000_000, 5_000_000_000, 1_000, 300, 0, 900, 47_000_00000000, 1, version, 2, "", "");

    /// <summary>Just opened through us: the OPEN is on its way.</summary>
    private static PositionState Opening() => new()
    {
        Exists = true, Status = PositionStatus.Pending, Trader = Trader, Asset = "BTC-USD", IsLong = true,
        PendingDecision = Pending(DecisionKind.Open, 0), PendingDigest = OpenDigest,
    };

    private static PositionState OpenAt(ulong version)
    {
        var (state, _) = ChainReconciliation.Apply(Opening(), Event(ChainEvents.PositionOpened, Chain(1), OpenDigest), Now.AddMinutes(-10));
        state.OnChainVersion = version;
        return state;
    }

    [Fact]
    public void Apply_OpenedEventOfThePendingOpen_OpenWithTheChainsTermsAndTheDecisionSettled()
    {
        var before = Opening();

        var (after, followUp) = ChainReconciliation.Apply(before, Event(ChainEvents.PositionOpened, Chain(1), OpenDigest, blockTime: (ulong)Now.AddSeconds(3).ToUnixTimeSeconds()), Now);

        Assert.Equal(ChainFollowUp.Publish, followUp);
        Assert.Equal(PositionStatus.Open, after.Status);
        Assert.Equal((1UL, 500_000_000L, 250U), (after.OnChainVersion, after.Collateral, after.MaintenanceMarginBps));
        Assert.Null(after.PendingDecision);
        Assert.Null(after.PendingDigest);
        Assert.Equal(OpenDigest, after.LastDecisionDigest);
        Assert.Equal(Now.AddSeconds(3), after.LastChainChangeAt); // the block ran ahead of our clock: its time counts
        Assert.Equal((Now, Now, Now), (after.OpenedAt, after.LastReassessedAt, after.UpdatedAt));
        Assert.Equal(PositionStatus.Pending, before.Status); // the input is left as it was
        Assert.Equal(OpenDigest, before.PendingDigest);
    }

    [Fact]
    public void Apply_OlderVersionReplayed_IgnoredAndTheSameState()
    {
        var current = OpenAt(version: 3);

        var (after, followUp) = ChainReconciliation.Apply(current, Event(ChainEvents.PositionOpened, Chain(1), OpenDigest), Now);

        Assert.Equal(ChainFollowUp.Ignored, followUp);
        Assert.Same(current, after);
    }

    [Fact]
    public void Apply_SameVersionReadBeforeANewerRead_Ignored()
    {
        var current = OpenAt(version: 1);
        current.ChainReadBlock = 50;

        var (_, followUp) = ChainReconciliation.Apply(current, Event(ChainEvents.CollateralAdded, Chain(1, collateral: 1, readAt: 40)), Now);

        Assert.Equal(ChainFollowUp.Ignored, followUp);
    }

    [Fact]
    public void Apply_OlderEventNamingAnEscrow_OnlyTheEscrowIsTaken()
    {
        var current = OpenAt(version: 3);

        var (after, followUp) = ChainReconciliation.Apply(current, Event(ChainEvents.PayoutEscrowed, Chain(2, collateral: 1), amount: 42), Now);

        Assert.Equal(ChainFollowUp.EscrowOnly, followUp);
        Assert.Equal(42, after.EscrowedPayout);
        Assert.Equal(500_000_000, after.Collateral); // the older terms do not come back
        Assert.Equal(0, current.EscrowedPayout);
    }

    [Fact]
    public void Apply_PendingAdjustSkippedAsStale_ReevaluateAndTheDecisionDropped()
    {
        var current = OpenAt(version: 1);
        (current.Status, current.PendingDecision, current.PendingDigest) = (PositionStatus.Adjusting, Pending(DecisionKind.Adjust, 1), AdjustDigest);

        var (after, followUp) = ChainReconciliation.Apply(current, Event(ChainEvents.DecisionSkipped, Chain(2), AdjustDigest, skip: ChainReconciliation.StaleVersionSkip), Now);

        Assert.Equal(ChainFollowUp.Reevaluate, followUp);
        Assert.Equal(PositionStatus.Open, after.Status);
        Assert.Null(after.PendingDigest);
        Assert.Equal(OpenDigest, after.LastDecisionDigest); // a skipped decision is not the one in force
    }

    [Fact]
    public void Apply_BlockBehindOurClock_LastChainChangeIsTheBlocksTime()
    {
        // The contract takes a decision priced at or after the block's second; the event's later arrival must not
        // make the engine wait for a newer price than that.
        var blockTime = Now.AddSeconds(-4);

        var (after, _) = ChainReconciliation.Apply(Opening(), Event(ChainEvents.PositionOpened, Chain(1), OpenDigest, blockTime: (ulong)blockTime.ToUnixTimeSeconds()), Now);

        Assert.Equal(blockTime, after.LastChainChangeAt);
    }

    [Fact]
    public void Apply_TopUpMovesTheVersionPastAPendingAdjust_DecisionDroppedAndOpen()
    {
        var current = OpenAt(version: 1);
        (current.Status, current.PendingDecision, current.PendingDigest) = (PositionStatus.Adjusting, Pending(DecisionKind.Adjust, 1), AdjustDigest);

        var (after, followUp) = ChainReconciliation.Apply(current, Event(ChainEvents.CollateralAdded, Chain(2, collateral: 600_000_000)), Now);

        Assert.Equal(ChainFollowUp.Publish, followUp);
        Assert.Equal((PositionStatus.Open, 600_000_000L), (after.Status, after.Collateral));
        Assert.Null(after.PendingDecision);
        Assert.Equal(Now, after.LastChainChangeAt);
    }

    [Fact]
    public void Apply_EventAtTheVersionOfAPendingAdjust_StillAdjusting()
    {
        var current = OpenAt(version: 1);
        (current.Status, current.PendingDecision, current.PendingDigest) = (PositionStatus.Adjusting, Pending(DecisionKind.Adjust, 1), AdjustDigest);

        var (after, _) = ChainReconciliation.Apply(current, Event(ChainEvents.PositionOpened, Chain(1), OpenDigest), Now);

        Assert.Equal(PositionStatus.Adjusting, after.Status);
        Assert.Equal(AdjustDigest, after.PendingDigest);
    }

    [Fact]
    public void Apply_LiquidatedThenReplayed_OutcomeRecordedOnce()
    {
        var (liquidated, first) = ChainReconciliation.Apply(OpenAt(version: 1), Event(ChainEvents.PositionLiquidated, Chain(2, ChainPositionStatus.Liquidated)), Now);
        var (_, replay) = ChainReconciliation.Apply(liquidated, Event(ChainEvents.PositionLiquidated, Chain(2, ChainPositionStatus.Liquidated)), Now);

        Assert.Equal(PositionStatus.Liquidated, liquidated.Status);
        Assert.Equal(ChainFollowUp.RemoveAndRecordOutcome, first);
        Assert.Equal(ChainFollowUp.Remove, replay);
    }

    [Fact]
    public void Apply_LiquidatedByAnotherDecisionThanThePendingOne_EndedWithNothingPending()
    {
        const string refusedDigest = "0x" + "0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d";
        const string landedDigest = "0x" + "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e";
        var current = OpenAt(version: 1);
        (current.Status, current.PendingDecision, current.PendingDigest) = (PositionStatus.Liquidating, Pending(DecisionKind.Liquidate, 1), refusedDigest);

        var (after, followUp) = ChainReconciliation.Apply(current, Event(ChainEvents.PositionLiquidated, Chain(1, ChainPositionStatus.Liquidated), landedDigest), Now);

        Assert.Equal(ChainFollowUp.RemoveAndRecordOutcome, followUp);
        Assert.Equal(PositionStatus.Liquidated, after.Status);
        Assert.Null(after.PendingDecision);
        Assert.Null(after.PendingDigest);
        Assert.Equal(landedDigest, after.LastDecisionDigest);
    }

    [Fact]
    public void Apply_TheHandedOutCloseLands_CloseCleared()
    {
        var current = OpenAt(version: 1);
        const string closeDigest = "0x" + "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c";
        (current.CloseDigest, current.CloseValidUntil) = (closeDigest, 99);

        var (after, followUp) = ChainReconciliation.Apply(current, Event(ChainEvents.PositionClosed, Chain(2, ChainPositionStatus.Closed), closeDigest), Now);

        Assert.Equal(ChainFollowUp.RemoveAndRecordOutcome, followUp);
        Assert.Equal((PositionStatus.Closed, closeDigest, (string?)null, 0UL), (after.Status, after.LastDecisionDigest, after.CloseDigest, after.CloseValidUntil));
    }
}
