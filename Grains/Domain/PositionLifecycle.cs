using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Domain;

/// <summary>
/// The position state machine: Requested → Pending → Open → (Adjusting) → Closing/Liquidating → Closed/Liquidated,
/// with Rejected for an open the chain or the oracle refused. Every transition the engine makes goes through
/// <see cref="CanMove"/>, so an impossible move is a broken invariant, not a silent overwrite.
/// </summary>
public static class PositionLifecycle
{
    private static readonly Dictionary<PositionStatus, PositionStatus[]> Allowed = new()
    {
        [PositionStatus.Requested] = [PositionStatus.Pending, PositionStatus.Rejected],
        [PositionStatus.Pending] = [PositionStatus.Open, PositionStatus.Rejected],
        [PositionStatus.Open] = [PositionStatus.Adjusting, PositionStatus.Closing, PositionStatus.Liquidating],
        // An adjustment in flight may be overtaken by a close or a liquidation; the chain's version check decides.
        [PositionStatus.Adjusting] = [PositionStatus.Open, PositionStatus.Closing, PositionStatus.Liquidating],
        [PositionStatus.Closing] = [PositionStatus.Closed, PositionStatus.Open, PositionStatus.Liquidating, PositionStatus.Liquidated],
        // A partial liquidation leaves the position open; a top-up can make a pending one stale.
        [PositionStatus.Liquidating] = [PositionStatus.Liquidated, PositionStatus.Open, PositionStatus.Closed],
        [PositionStatus.Closed] = [],
        [PositionStatus.Liquidated] = [],
        [PositionStatus.Rejected] = [],
    };

    /// <summary>True when the state machine allows <paramref name="from"/> → <paramref name="to"/>.</summary>
    public static bool CanMove(PositionStatus from, PositionStatus to) => Allowed[from].Contains(to);

    /// <summary>Returns <paramref name="to"/> or throws when the move is not allowed.</summary>
    public static PositionStatus Move(PositionStatus from, PositionStatus to) =>
        CanMove(from, to) ? to : throw new InvalidOperationException($"position cannot move from {from} to {to}");

    /// <summary>True for states that never change again.</summary>
    public static bool IsFinal(PositionStatus status) => Allowed[status].Length == 0;

    /// <summary>True while the position holds collateral on-chain and must be watched.</summary>
    public static bool IsLive(PositionStatus status) =>
        status is PositionStatus.Open or PositionStatus.Adjusting or PositionStatus.Closing or PositionStatus.Liquidating;
}
