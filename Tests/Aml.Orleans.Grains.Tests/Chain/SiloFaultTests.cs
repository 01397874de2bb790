using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Interfaces;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;

namespace Aml.Orleans.Grains.Tests.Chain;

/// <summary>Silos die; positions and decisions must not notice (state in PostgreSQL, transactions persisted before broadcast).</summary>
[Collection(ChainClusterCollection.Name)]
public sealed class SiloFaultTests(ChainClusterFixture fixture) : IAsyncLifetime
{
    private const string Asset = "ETH-USD";
    private const long Collateral = 2_000_000_000;
    private const long EntryE8 = 3_000_00000000;

    public Task InitializeAsync() => Task.CompletedTask;

    // Every test leaves the cluster with two silos for the next one.
    public Task DisposeAsync() => fixture.RestoreAfterFaultAsync();

    [Fact]
    public async Task KillSilo_HostingAnOpenPosition_StateComesBackFromPostgres()
    {
        await fixture.MoveMarketAsync(Asset, EntryE8);
        var (positionId, _) = await fixture.OpenAsync(Asset, 7, isLong: true, Collateral, 1_000, 150, EntryE8);
        var position = fixture.Client.GetGrain<IPositionGrain>(positionId);
        var before = await ClusterFixture.EventuallyAsync(() => position.GetSnapshotAsync(), s => s is { Status: PositionStatus.Open }, "open");

        await fixture.Cluster.KillSiloAsync(await fixture.HostOfAsync(position));
        var after = await ClusterFixture.EventuallyAfterFailoverAsync(() => position.GetSnapshotAsync(), s => s is not null, "re-activated");

        // The borrow fee accrues with chain time while the silo is down, and the liquidation and warning prices and the
        // margin ratio follow it: those are recomputed, not stored. Everything stored must come back as it was.
        Assert.Equal(Stored(before!), Stored(after!));
        Assert.True(after!.BorrowFee >= before!.BorrowFee, $"fee {after.BorrowFee} >= {before.BorrowFee}");
        Assert.True(after.LiquidationPriceE8 >= before.LiquidationPriceE8, $"a long's liquidation price rises with its fee");
    }

    private static PositionSnapshot Stored(PositionSnapshot snapshot) => snapshot with
    {
        UpdatedAt = default, BorrowFee = 0, LiquidationPriceE8 = 0, WarningPriceE8 = 0, MarginRatioBps = 0,
    };

    [Fact]
    public async Task KillSilo_OracleMidSubmission_DecisionLandsOnceWithTheSameTransaction()
    {
        await fixture.MoveMarketAsync(Asset, EntryE8);
        var (positionId, _) = await fixture.OpenAsync(Asset, 8, isLong: true, Collateral, 2_500, 100, EntryE8);
        var position = fixture.Client.GetGrain<IPositionGrain>(positionId);
        await ClusterFixture.EventuallyAsync(() => position.GetSnapshotAsync(), s => s is { Status: PositionStatus.Open }, "open");
        var relayer = fixture.Chain.Signer(10).Address;
        var nonceBefore = await fixture.Chain.Rpc.GetTransactionCountAsync(relayer, "latest");

        // The chain stops mining: the liquidation's transaction is signed, persisted and sent, but gets no receipt.
        await fixture.Chain.SetFeedPriceAsync(Asset, EntryE8 * 96 / 100); // while the chain still mines
        await fixture.WaitForChainClockAsync();
        await fixture.Chain.SetAutomineAsync(false);
        await fixture.TickAsync(Asset, EntryE8 * 96 / 100, publishToFeed: false);
        var liquidating = await ClusterFixture.EventuallyAsync(
            () => position.GetSnapshotAsync(), s => s is { Status: PositionStatus.Liquidating }, "liquidation routed");
        var digest = (await ClusterFixture.EventuallyAsync(
            () => PendingDigestAsync(positionId), d => d is not null, "pending digest"))!;
        var sent = await ClusterFixture.EventuallyAsync(
            () => fixture.Oracle.GetAuditAsync(digest), a => a is { Status: SubmissionStatus.Sent }, "transaction sent");

        await fixture.Cluster.KillSiloAsync(await fixture.HostOfAsync(fixture.Oracle));
        await fixture.Chain.SetAutomineAsync(true);
        await fixture.Chain.MineAsync();
        var pendingBlock = await fixture.Chain.Rpc.GetBlockAsync("pending");
        var settled = await ClusterFixture.EventuallyAfterFailoverAsync(
            () => fixture.Oracle.GetAuditAsync(digest), a => a is { Status: SubmissionStatus.Applied or SubmissionStatus.Skipped }, "settled after the crash");

        Assert.True(settled!.Status == SubmissionStatus.Applied, $"{settled}; tick at {liquidating!.UpdatedAt.ToUnixTimeSeconds()}, pending block {pendingBlock.Timestamp}, now {DateTimeOffset.UtcNow.ToUnixTimeSeconds()}");
        Assert.Equal(sent!.TransactionHash, settled!.TransactionHash);
        Assert.Equal(nonceBefore + 1, await fixture.Chain.Rpc.GetTransactionCountAsync(relayer, "latest"));
        var liquidations = await fixture.Chain.Rpc.GetLogsAsync(new LogFilter(
            Address.Parse(fixture.Chain.Deployment.MarginManager),
            [MarginManagerAbi.Definition.Event("PositionLiquidated").Topic0, Bytes32.Parse(positionId)],
            FromBlock: "0x0", ToBlock: "latest"));
        Assert.Single(liquidations);
        var chain = await fixture.ChainPositionAsync(positionId);
        await ClusterFixture.EventuallyAfterFailoverAsync(
            () => position.GetSnapshotAsync(), s => s!.OnChainVersion == chain.Version && s.Size == (long)chain.Size, "grain follows the chain");
        Assert.Equal(PositionStatus.Liquidating, liquidating!.Status);
    }

    private async Task<string?> PendingDigestAsync(string positionId)
    {
        var snapshot = await fixture.Client.GetGrain<IPositionGrain>(positionId).GetSnapshotAsync();
        return snapshot?.PendingDigest;
    }
}
