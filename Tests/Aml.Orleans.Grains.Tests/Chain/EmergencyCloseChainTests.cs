using System.Numerics;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Abi;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Interfaces;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;

namespace Aml.Orleans.Grains.Tests.Chain;

/// <summary>
/// The exit without the oracle (CONTRACT.md "Version 2"): once no decision has landed in a market for its liveness
/// timeout, the trader closes at the independent feed's price with <c>emergencyClose</c>, and the engine, which signed
/// nothing, follows through its indexer.
/// </summary>
[Collection(ChainClusterCollection.Name)]
public sealed class EmergencyCloseChainTests(ChainClusterFixture fixture)
{
    private const string Asset = "ETH-USD"; // a market of its own: its liveness timeout is shortened here
    private const int Trader = 8;
    private const long Collateral = 1_000_000_000; // 1,000 USDC
    private const uint LeverageX100 = 500;
    private const long EntryE8 = 2_000_00000000;
    private const long FeedE8 = 2_060_00000000; // the feed 3 % up when the trader leaves
    private const long PriceScale = 10_000_000_000; // E8 → E18, as the feed's 8 decimals are scaled by the contract
    private static readonly AbiFunction BalanceOf = AbiFunction.Parse("balanceOf(address account) returns (uint256)");

    [Fact]
    public async Task EmergencyClose_OracleSilentPastTheTimeout_GrainClosedAtTheFeedPriceWithThePayout()
    {
        var contract = new MarginManagerClient(fixture.Chain.Rpc, Address.Parse(fixture.Chain.Deployment.MarginManager));
        var marketId = Bytes32.Parse(fixture.Chain.Deployment.Markets[Asset].MarketId);
        var deployed = await contract.GetMarketLimitsAsync(marketId);
        // One second without an applied decision opens the exit (the deployment's 30 minutes would need a clock jump
        // that every other suite sharing this chain would feel).
        await SendAsAsync(0, MarginManagerAbi.EncodeSetMarketLimits(marketId, deployed with { OracleLivenessTimeout = 1 }));
        try
        {
            await fixture.MoveMarketAsync(Asset, EntryE8);
            var (positionId, _) = await fixture.OpenAsync(Asset, Trader, isLong: true, Collateral, LeverageX100, 100, EntryE8);
            var position = fixture.Client.GetGrain<IPositionGrain>(positionId);
            await ClusterFixture.EventuallyAsync(position.GetSnapshotAsync, s => s is { Status: PositionStatus.Open }, "open");
            var opened = await fixture.ChainPositionAsync(positionId);
            // Only the feed moves: the engine sees no tick, so the oracle stays silent in this market.
            await fixture.Chain.SetFeedPriceAsync(Asset, FeedE8);
            var availableAt = await EmergencyAvailableAtAsync(marketId);
            await ClusterFixture.EventuallyAsync(
                () => Task.FromResult(DateTimeOffset.UtcNow.ToUnixTimeSeconds()), now => (ulong)now >= availableAt,
                $"the wall clock (so the next block) at the exit's opening {availableAt}");
            var trader = fixture.Chain.Signer(Trader).Address;
            var before = await BalanceAsync(trader);

            var receipt = await SendAsAsync(Trader, MarginManagerAbi.Function("emergencyClose").EncodeCall(Bytes32.Parse(positionId)));

            Assert.True(receipt.Succeeded);
            var closed = receipt.Logs
                .Select(log => MarginManagerAbi.Definition.TryDecodeLog(log.Topics, log.Data))
                .Single(decoded => decoded?.Name == "EmergencyClosed")!;
            var size = (BigInteger)opened.Size;
            var entryE18 = (BigInteger)opened.EntryPriceE18;
            var feedE18 = (BigInteger)FeedE8 * PriceScale;
            var pnl = size * (feedE18 - entryE18) / entryE18; // PositionMath.pnl for a long in profit
            var fee = (BigInteger)closed["fee"];
            Assert.Equal(feedE18, (BigInteger)closed["priceE18"]);
            Assert.Equal(pnl, (BigInteger)closed["pnl"]);
            Assert.Equal((BigInteger)Collateral + pnl - fee, (BigInteger)closed["payout"]); // no penalty on an exit
            Assert.Equal(BigInteger.Zero, (BigInteger)closed["badDebt"]);
            Assert.Equal((BigInteger)closed["payout"], await BalanceAsync(trader) - before); // paid, not escrowed
            var final = await ClusterFixture.EventuallyAsync(
                position.GetSnapshotAsync, s => s is { Status: PositionStatus.Closed }, "the indexer delivers EmergencyClosed");
            Assert.Equal(0, final!.EscrowedPayout);
            Assert.Equal(0, final.Collateral);
            Assert.Equal(Ethereum.PositionStatus.Closed, (await fixture.ChainPositionAsync(positionId)).Status);
            Assert.Equal([BigInteger.Zero, BigInteger.Zero], await ViewAsync("openInterest", marketId)); // the exit released its size
        }
        finally
        {
            await SendAsAsync(0, MarginManagerAbi.EncodeSetMarketLimits(marketId, deployed));
            await fixture.Chain.SetFeedPriceAsync(Asset, EntryE8);
        }
    }

    private async Task<TransactionReceipt> SendAsAsync(int key, byte[] calldata)
    {
        var sender = new TransactionSender(fixture.Chain.Rpc);
        var tx = await sender.SignEip1559Async(fixture.Chain.Signer(key), Address.Parse(fixture.Chain.Deployment.MarginManager), calldata);
        return await sender.SendAndWaitAsync(tx);
    }

    private async Task<ulong> EmergencyAvailableAtAsync(Bytes32 marketId) => (ulong)(await ViewAsync("emergencyCloseAvailableAt", marketId))[0];

    /// <summary>A MarginManager view's outputs (numbers).</summary>
    private async Task<BigInteger[]> ViewAsync(string name, Bytes32 marketId)
    {
        var function = MarginManagerAbi.Function(name);
        var output = await fixture.Chain.Rpc.CallAsync(
            new CallRequest(Address.Parse(fixture.Chain.Deployment.MarginManager), function.EncodeCall(marketId)), "latest");
        return function.DecodeOutput(output).Select(value => (BigInteger)value).ToArray();
    }

    private async Task<BigInteger> BalanceAsync(Address account)
    {
        var output = await fixture.Chain.Rpc.CallAsync(
            new CallRequest(Address.Parse(fixture.Chain.Deployment.CollateralToken), BalanceOf.EncodeCall(account)), "latest");
        return (BigInteger)BalanceOf.DecodeOutput(output)[0];
    }
}
