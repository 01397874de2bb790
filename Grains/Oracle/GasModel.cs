using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Oracle;

/// <summary>
/// The gas limit of an <c>applyDecisions</c> batch, modelled per decision kind instead of asked of the node for each
/// batch (an <c>eth_estimateGas</c> is a full execution, and MegaETH's storage gas makes local estimates too low anyway).
/// The figures lie above the contract's measured MegaETH gas (<c>Contracts.Solidity/snapshots/MarginManagerGas.json</c>,
/// which a test holds them against): a limit only bounds what a transaction may use, the chain charges what it uses.
/// </summary>
public static class GasModel
{
    /// <summary>The transaction, the batch's quorum check and its bookkeeping.</summary>
    public const ulong BatchBase = 150_000;

    /// <summary>One ADJUST item (a tightening, the dearest, measures 216,431 alone, transaction included).</summary>
    public const ulong AdjustItem = 150_000;

    /// <summary>One LIQUIDATE item, full or partial, with its payout, penalty and bad-debt paths (258,278 alone).</summary>
    public const ulong LiquidateItem = 200_000;

    /// <summary>The gas limit for one batch of <paramref name="kinds"/>.</summary>
    public static ulong Batch(IEnumerable<DecisionKind> kinds)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        var gas = BatchBase;
        foreach (var kind in kinds)
        {
            gas = checked(gas + kind switch
            {
                DecisionKind.Adjust => AdjustItem,
                DecisionKind.Liquidate => LiquidateItem,
                _ => throw new ArgumentException($"a {kind} is not sent in a batch", nameof(kinds)),
            });
        }

        return gas;
    }
}
