using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;

namespace Aml.Orleans.Grains.Tests.Chain;

/// <summary>A reorg (anvil_reorg) undoes a mined liquidation: the oracle sees it and sends the same transaction again.</summary>
[Collection(ChainClusterCollection.Name)]
public sealed class ReorgTests(ChainClusterFixture fixture)
{
    private const string Asset = "DOGE-USD"; // a market of its own
    private const long EntryE8 = 10_000_000; // 0.10 USD

    [Fact]
    public async Task Reorg_RemovesAMinedLiquidation_ResentWithTheSameHashAndLandsOnce()
    {
        await fixture.MoveMarketAsync(Asset, EntryE8);
        var (positionId, _) = await fixture.OpenAsync(Asset, 6, isLong: true, 500_000_000, 500, 300, EntryE8);
        var position = fixture.Client.GetGrain<IPositionGrain>(positionId);
        await ClusterFixture.EventuallyAsync(() => position.GetSnapshotAsync(), s => s is { Status: PositionStatus.Open }, "open");
        await fixture.WaitForChainClockAsync();

        await fixture.TickAsync(Asset, EntryE8 * 88 / 100);
        await fixture.TickAsync(Asset, EntryE8 * 80 / 100); // 5x with 3 % margin: liquidated below -17 %
        // Pending while it is on its way; once liquidated, the last decision (it may land before the position hears of it).
        var routed = await ClusterFixture.EventuallyAsync(() => position.GetSnapshotAsync(), s => LiquidationDigest(s!) is not null, "liquidation routed");
        var digest = LiquidationDigest(routed!)!;
        var first = await ClusterFixture.EventuallyAsync(
            () => fixture.Oracle.GetAuditAsync(digest), a => a is { Status: SubmissionStatus.Applied }, "liquidation mined");
        var receipt = await fixture.Chain.Rpc.GetTransactionReceiptAsync(Bytes32.Parse(first!.TransactionHash!));
        var head = await fixture.Chain.Rpc.GetBlockNumberAsync();

        await fixture.Chain.Rpc.RequestAsync("anvil_reorg", [head - receipt!.BlockNumber!.Value + 1, Array.Empty<object>()]);
        Assert.Null(await fixture.Chain.Rpc.GetTransactionReceiptAsync(Bytes32.Parse(first.TransactionHash!)));

        var again = await ClusterFixture.EventuallyAsync(
            () => fixture.Oracle.GetAuditAsync(digest),
            a => a is { Status: SubmissionStatus.Applied } && a.Outcome!.Contains("in block", StringComparison.Ordinal) && a.UpdatedAt > first.UpdatedAt,
            "re-sent after the reorg", seconds: 30);
        Assert.Equal(first.TransactionHash, again!.TransactionHash);
        Assert.NotNull(await fixture.Chain.Rpc.GetTransactionReceiptAsync(Bytes32.Parse(first.TransactionHash!)));
        var liquidations = await fixture.Chain.Rpc.GetLogsAsync(new Ethereum.Rpc.LogFilter(
            Address.Parse(fixture.Chain.Deployment.MarginManager),
            [MarginManagerAbi.Definition.Event("PositionLiquidated").Topic0, Bytes32.Parse(positionId)], FromBlock: "0x0", ToBlock: "latest"));
        Assert.Single(liquidations, l => l.TransactionHash == Bytes32.Parse(first.TransactionHash!));
    }

    private static string? LiquidationDigest(PositionSnapshot s) =>
        s.PendingDigest ?? (s.Status == PositionStatus.Liquidated ? s.LastDecisionDigest : null);
}
