using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Interfaces;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;

namespace Aml.Orleans.Grains.Tests.Chain;

[Collection(ChainClusterCollection.Name)]
public sealed class OracleChainTests(ChainClusterFixture fixture)
{
    private const string Asset = "BTC-USD";
    private const long Collateral = 1_000_000_000; // 1,000 USDC
    private const long EntryE8 = 20_000_00000000;

    [Fact]
    public async Task SubmitAsync_TraderSignedOpen_PositionOpenOnChainAndInGrain()
    {
        await fixture.MoveMarketAsync(Asset, EntryE8);

        var (positionId, audit) = await fixture.OpenAsync(Asset, 6, isLong: true, Collateral, 500, 100, EntryE8);

        Assert.Equal(SubmissionStatus.Queued, audit.Status);
        var snapshot = await EventuallyOpenAsync(positionId);
        var chain = await fixture.ChainPositionAsync(positionId);
        Assert.Equal(Ethereum.PositionStatus.Open, chain.Status);
        Assert.Equal((UInt128)Collateral, chain.Collateral);
        Assert.Equal((long)chain.Size, snapshot.Size);
        Assert.Equal(EntryE8, snapshot.EntryPriceE8);
        Assert.Equal(chain.Version, snapshot.OnChainVersion);
        var settled = await EventuallyAppliedAsync(audit.Digest);
        Assert.NotNull(settled.TransactionHash);
        // The row follows the oracle's state (staged with it, written after it), so it may trail the grain by a flush.
        await ClusterFixture.EventuallyAsync(
            () => fixture.Database.ScalarAsync<string>(
                "SELECT status FROM aml_audit_decision WHERE decision_digest = @digest", ("digest", Hex.Decode(audit.Digest))),
            status => status == "APPLIED", "the audit row marked APPLIED");
    }

    [Fact]
    public async Task SubmitAsync_AuditTableAwayWhileTheDecisionLands_RowCatchesUpAsApplied()
    {
        await fixture.MoveMarketAsync(Asset, EntryE8);
        string digest;
        await fixture.Database.ExecuteAsync("ALTER TABLE aml_audit_decision RENAME TO aml_audit_decision_away");
        try
        {
            // Grain state is elsewhere: the decision goes on-chain while every audit write fails.
            var (positionId, audit) = await fixture.OpenAsync(Asset, 6, isLong: true, Collateral, 500, 100, EntryE8);
            digest = audit.Digest;
            await EventuallyOpenAsync(positionId);
            await EventuallyAppliedAsync(digest);
        }
        finally
        {
            await fixture.Database.ExecuteAsync("ALTER TABLE aml_audit_decision_away RENAME TO aml_audit_decision");
        }

        var applied = await ClusterFixture.EventuallyAsync(
            () => fixture.Database.ScalarAsync<long>(
                "SELECT count(*) FROM aml_audit_decision WHERE decision_digest = @digest AND status = 'APPLIED' AND tx_hash IS NOT NULL",
                ("digest", Hex.Decode(digest))),
            n => n == 1, "the staged audit row written once the table is back");
        Assert.Equal(1, applied);
    }

    [Fact]
    public async Task Indexer_TraderTopsUpOnChainDirectly_GrainFollows()
    {
        await fixture.MoveMarketAsync(Asset, EntryE8);
        var (positionId, _) = await fixture.OpenAsync(Asset, 6, isLong: true, Collateral, 1_000, 100, EntryE8);
        var open = await EventuallyOpenAsync(positionId);
        var sender = new Ethereum.Rpc.TransactionSender(fixture.Chain.Rpc);
        var topUp = MarginManagerAbi.Function("addCollateral").EncodeCall(Bytes32.Parse(positionId), (UInt128)250_000_000);

        await sender.SendAndWaitAsync(await sender.SignEip1559Async(
            fixture.Chain.Signer(6), Address.Parse(fixture.Chain.Deployment.MarginManager), topUp));

        var after = await ClusterFixture.EventuallyAsync(
            () => fixture.Client.GetGrain<IPositionGrain>(positionId).GetSnapshotAsync(),
            s => s!.Collateral > open.Collateral, "the indexer delivers CollateralAdded");
        Assert.Equal(Collateral + 250_000_000, after!.Collateral);
        Assert.Equal(open.OnChainVersion, after.OnChainVersion); // version 2: a top-up keeps pending decisions valid
        Assert.True(after.LiquidationPriceE8 < open.LiquidationPriceE8, "more collateral moves the liquidation band away");
    }

    [Fact]
    public async Task SubmitAsync_SignatureOfAnotherTrader_RefusedAndNothingSent()
    {
        var positionId = ChainClusterFixture.NewPositionId();
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var trader = fixture.Chain.Signer(6);
        var decision = new Decision(DecisionKind.Open, positionId, Asset, trader.Address.ToString(), true, Collateral, Collateral * 2,
            500, 100, 0, 1_000, EntryE8, now, 0, now + 60, ChainClusterFixture.TestModelHash, ChainClusterFixture.TestModelHash);
        var digest = await fixture.Oracle.GetDigestAsync(decision);
        var impostor = Hex.Encode(fixture.Chain.Signer(7).SignHash(Hex.Decode(digest)).ToRsv());
        var relayerNonce = await fixture.Chain.Rpc.GetTransactionCountAsync(fixture.Chain.Signer(10).Address, "latest");

        var audit = await fixture.Oracle.SubmitAsync(decision, impostor);

        Assert.Equal(SubmissionStatus.Failed, audit.Status);
        Assert.Contains("trader signature recovers to", audit.Outcome, StringComparison.Ordinal);
        Assert.Equal(relayerNonce, await fixture.Chain.Rpc.GetTransactionCountAsync(fixture.Chain.Signer(10).Address, "latest"));
        Assert.Equal(0, (int)(await fixture.ChainPositionAsync(positionId)).Status);
    }

    [Fact]
    public async Task SubmitAsync_SameDecisionTwice_OneTransaction()
    {
        await fixture.MoveMarketAsync(Asset, EntryE8);
        var (positionId, first) = await fixture.OpenAsync(Asset, 7, isLong: false, Collateral, 300, 100, EntryE8);
        await EventuallyOpenAsync(positionId);
        var decisionAgain = (await fixture.Client.GetGrain<IPositionGrain>(positionId).GetSnapshotAsync())!;

        var settled = await EventuallyAppliedAsync(first.Digest);
        var again = await fixture.Oracle.SubmitAsync(
            new Decision(DecisionKind.Open, positionId, Asset, decisionAgain.Trader, false, Collateral, Collateral * 3, 300, 100, 0, 1_000,
                EntryE8, 0, 0, 0, ChainClusterFixture.TestModelHash, ChainClusterFixture.TestModelHash), null);

        Assert.NotEqual(first.Digest, again.Digest); // a different decision is judged on its own (and refused: no signature)
        Assert.Equal(SubmissionStatus.Failed, again.Status);
        var replay = await fixture.Oracle.GetAuditAsync(first.Digest);
        Assert.Equal(settled.TransactionHash, replay!.TransactionHash);
    }

    [Fact]
    public async Task SubmitAsync_LiquidateOnHealthyPosition_SkippedByTheContractAndNothingLiquidated()
    {
        await fixture.MoveMarketAsync(Asset, EntryE8);
        var (positionId, _) = await fixture.OpenAsync(Asset, 8, isLong: true, Collateral, 200, 100, EntryE8);
        var open = await EventuallyOpenAsync(positionId);
        await fixture.WaitForChainClockAsync(); // priced after the open's block, so health is what the contract judges
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var audit = await fixture.Oracle.SubmitAsync(new Decision(
            DecisionKind.Liquidate, positionId, Asset, open.Trader, true, open.Collateral, open.Size, open.MaxLeverageX100,
            open.MaintenanceMarginBps, 10_000, open.RiskScoreBps, EntryE8, now, open.OnChainVersion, now + 60,
            ChainClusterFixture.TestModelHash, ChainClusterFixture.TestModelHash), null);

        // The oracle asks the chain nothing before signing: the contract itself skips a LIQUIDATE on a healthy position.
        var skipped = await ClusterFixture.EventuallyAsync(
            () => fixture.Oracle.GetAuditAsync(audit.Digest), a => a is { Status: SubmissionStatus.Skipped or SubmissionStatus.Applied or SubmissionStatus.Failed },
            "settled by the contract");
        Assert.Equal(SubmissionStatus.Skipped, skipped!.Status);
        Assert.Contains(nameof(SkipReason.NotLiquidatable), skipped.Outcome, StringComparison.Ordinal);
        Assert.NotNull(skipped.TransactionHash);
        var chain = await fixture.ChainPositionAsync(positionId);
        Assert.Equal(1, (int)chain.Status);
        Assert.Equal((UInt128)open.Size, chain.Size);
    }

    [Fact]
    public async Task SubmitAsync_BaseFeeRosePastTheSignedMaxFee_SignedAgainAtTodaysFeesAndLands()
    {
        await fixture.MoveMarketAsync(Asset, EntryE8);
        var (positionId, _) = await fixture.OpenAsync(Asset, 8, isLong: true, Collateral, 200, 100, EntryE8);
        var open = await EventuallyOpenAsync(positionId);
        await fixture.WaitForChainClockAsync();
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var baseFee = (await fixture.Chain.Rpc.GetBlockAsync("latest")).BaseFeePerGas;
        // The oracle holds the fees it read last; the chain's base fee jumps far past twice that.
        await fixture.Chain.Rpc.RequestAsync("anvil_setNextBlockBaseFeePerGas", [Quantity.Encode((baseFee + 1_000_000_000) * 100)]);
        await fixture.Chain.MineAsync();
        try
        {
            var audit = await fixture.Oracle.SubmitAsync(new Decision(
                DecisionKind.Liquidate, positionId, Asset, open.Trader, true, open.Collateral, open.Size, open.MaxLeverageX100,
                open.MaintenanceMarginBps, 10_000, open.RiskScoreBps, EntryE8, now, open.OnChainVersion, now + 60,
                ChainClusterFixture.TestModelHash, ChainClusterFixture.TestModelHash), null);

            // Refused by the node as underpriced, then signed again at the fees read after the refusal: it lands, and
            // the contract skips it (the position is healthy), which shows it was mined.
            var settled = await ClusterFixture.EventuallyAsync(
                () => fixture.Oracle.GetAuditAsync(audit.Digest), a => a is { Status: SubmissionStatus.Skipped or SubmissionStatus.Applied or SubmissionStatus.Failed },
                "mined after the underpriced refusal", seconds: 30);
            Assert.Equal(SubmissionStatus.Skipped, settled!.Status);
        }
        finally
        {
            await fixture.Chain.Rpc.RequestAsync("anvil_setNextBlockBaseFeePerGas", [Quantity.Encode(baseFee)]);
            await fixture.Chain.MineAsync();
        }
    }

    [Fact]
    public async Task Tick_PriceThroughTheLiquidationBand_LiquidatedOnChainAndGrainAgrees()
    {
        await fixture.MoveMarketAsync(Asset, EntryE8);
        var (positionId, _) = await fixture.OpenAsync(Asset, 6, isLong: true, Collateral, 2_000, 100, EntryE8);
        var open = await EventuallyOpenAsync(positionId);
        await fixture.WaitForChainClockAsync(); // prices no older than the open's block: the contract skips older ones
        var crashE8 = EntryE8 * 955 / 1000; // -4.5 %: a 20x long keeps 10 % of its collateral, below the 1 % margin of size

        await fixture.TickAsync(Asset, EntryE8 * 98 / 100);
        await fixture.TickAsync(Asset, crashE8);

        var after = await ClusterFixture.EventuallyAsync(
            () => fixture.Client.GetGrain<IPositionGrain>(positionId).GetSnapshotAsync(),
            // partial: the version moves on; full: the position ends at its version (version 2)
            s => (s!.Status == PositionStatus.Liquidated || s.OnChainVersion > open.OnChainVersion) && s.PendingDecisionSettled(),
            $"position {positionId} liquidated");
        var chain = await fixture.ChainPositionAsync(positionId);
        Assert.Equal(chain.Version, after!.OnChainVersion);
        Assert.Equal((long)chain.Collateral, after.Collateral);
        Assert.Equal((long)chain.Size, after.Size);
        Assert.True(chain.Size < (UInt128)open.Size, "the liquidation closed (part of) the size");
        var contract = new MarginManagerClient(fixture.Chain.Rpc, Address.Parse(fixture.Chain.Deployment.MarginManager));
        Assert.False(await contract.IsLiquidatableAsync(Bytes32.Parse(positionId), global::Aml.Orleans.Grains.Domain.Units.ToE18(crashE8)));
    }

    // The indexer can open the position from the chain's event before the oracle's receipt round marks the decision
    // applied: both follow the same block, in either order.
    private async Task<DecisionAudit> EventuallyAppliedAsync(string digest) =>
        (await ClusterFixture.EventuallyAsync(
            () => fixture.Oracle.GetAuditAsync(digest), a => a is { Status: SubmissionStatus.Applied }, $"decision {digest} applied"))!;

    private async Task<PositionSnapshot> EventuallyOpenAsync(string positionId) =>
        (await ClusterFixture.EventuallyAsync(
            () => fixture.Client.GetGrain<IPositionGrain>(positionId).GetSnapshotAsync(),
            s => s is { Status: PositionStatus.Open },
            $"position {positionId} open"))!;
}

internal static class SnapshotAssertions
{
    /// <summary>No decision of the position is waiting for the chain any more.</summary>
    public static bool PendingDecisionSettled(this PositionSnapshot snapshot) =>
        snapshot.Status is PositionStatus.Open or PositionStatus.Liquidated or PositionStatus.Closed;
}
