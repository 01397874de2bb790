using System.Numerics;
using Aml.Orleans.Ethereum.Abi;
using Events = Aml.Orleans.Ethereum.MarginManagerNames.Events;

namespace Aml.Orleans.Ethereum;

/// <summary>
/// A MarginManager event about one position, with typed fields: the one place that knows those events' parameter names
/// (a test decodes each event of forge's compiled ABI through it). A field the event does not carry is zero or null.
/// </summary>
/// <param name="Name">The event's name, one of <see cref="Names"/>.</param>
/// <param name="PositionId">The position (the indexed topic).</param>
/// <param name="DecisionHash">The EIP-712 digest of the decision the event carries out, when it carries one.</param>
/// <param name="Pnl">Realized PnL in collateral units (close, liquidation, emergency close).</param>
/// <param name="BadDebt">The loss beyond the collateral, in collateral units.</param>
/// <param name="SkipReason">The contract's <c>SkipReason</c> code of a <c>DecisionSkipped</c>.</param>
/// <param name="Amount">The amount a <c>PayoutEscrowed</c> or <c>BorrowFeeCharged</c> names.</param>
public sealed record PositionEventLog(string Name, Bytes32 PositionId, Bytes32? DecisionHash, long Pnl, long BadDebt, byte SkipReason, long Amount)
{
    /// <summary>The events about one position.</summary>
    public static IReadOnlySet<string> Names { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        Events.PositionOpened, Events.CollateralAdded, Events.RiskUpdated, Events.PositionClosed, Events.PositionLiquidated,
        Events.DecisionSkipped, Events.PositionFrozen, Events.BorrowFeeCharged, Events.PayoutEscrowed, Events.EmergencyClosed,
    };

    /// <summary>The log as a position event, or null when it is another event or none of <paramref name="abi"/>'s.</summary>
    public static PositionEventLog? TryDecode(AbiContract abi, IReadOnlyList<Bytes32> topics, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(abi);
        if (abi.TryDecodeLog(topics, data) is not { } log || !Names.Contains(log.Name))
        {
            return null;
        }

        return new PositionEventLog(
            log.Name,
            new Bytes32((byte[])log["positionId"]),
            log.Names.Contains("decisionHash") ? new Bytes32((byte[])log["decisionHash"]) : null,
            Int64Or0(log, "pnl"),
            Int64Or0(log, "badDebt"),
            log.Name == Events.DecisionSkipped ? checked((byte)(BigInteger)log["reason"]) : (byte)0,
            log.Name switch
            {
                Events.PayoutEscrowed => Int64Or0(log, "amount"),
                Events.BorrowFeeCharged => Int64Or0(log, "fee"),
                _ => 0,
            });
    }

    private static long Int64Or0(AbiDecoded log, string parameter) =>
        log.Names.Contains(parameter) ? checked((long)(BigInteger)log[parameter]) : 0;
}
