using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Tests.Grains;

/// <summary>Builds the chain events the reconciliation path delivers, for opening positions in grain tests.</summary>
internal static class Chain
{
    public const long Usdc = 1_000_000;
    public const long Dollar = 100_000_000;

    private static int _sequence;

    public static string NewPositionId() => "0x" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");

    public static string NewAsset() => $"T{Interlocked.Increment(ref _sequence)}-USD";

    public static ChainPositionEvent Opened(string positionId, string asset, bool isLong, long collateral,
        long leverageX100, long entryPriceE8, uint maintenanceMarginBps, string trader = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8") =>
        new("PositionOpened", positionId, null, 1, "0x01",
            new ChainPosition(trader, asset, isLong, collateral, collateral * leverageX100 / 100, entryPriceE8,
                (uint)leverageX100, maintenanceMarginBps, 1_000, 1, ChainPositionStatus.Open, false),
            0, 0);
}
