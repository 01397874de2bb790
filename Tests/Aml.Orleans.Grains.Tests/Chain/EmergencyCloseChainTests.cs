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
    // Every dev market has a suite of its own; ETH-USD's (SiloFaultTests) leaves positions there, so this test keeps the
    // market at the price it finds (a move could liquidate them) and only ever moves the feed, which no grain reads.
    private const string Asset = "ETH-USD";
    private const int Trader = 8;
    private const long Collateral = 1_000_000_000; // 1,000 USDC
    private const uint LeverageX100 = 500;
    private const long UntouchedMarketE8 = 2_000_00000000;
    private static readonly Bytes32 TransferTopic = new(Keccak.Hash("Transfer(address,address,uint256)"));
    private static readonly string OracleStillLive = Hex.Encode(Keccak.Hash("OracleStillLive(bytes32,uint64)"))[2..10];

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
            var found = (await fixture.Client.GetGrain<IMarketGrain>(Asset).GetSnapshotAsync()).LastPriceE8;
            var entryE8 = found > 0 ? found : UntouchedMarketE8;
            var feedE8 = entryE8 * 103 / 100; // the feed 3 % up when the trader leaves
            await fixture.MoveMarketAsync(Asset, entryE8); // the same price again: the feed agrees with the market
            var (positionId, _) = await fixture.OpenAsync(Asset, Trader, isLong: true, Collateral, LeverageX100, 100, entryE8);
            var position = fixture.Client.GetGrain<IPositionGrain>(positionId);
            await ClusterFixture.EventuallyAsync(position.GetSnapshotAsync, s => s is { Status: PositionStatus.Open }, "open");
            var opened = await fixture.ChainPositionAsync(positionId);
            // Only the feed moves: the engine sees no tick, so the oracle stays silent in this market.
            await fixture.Chain.SetFeedPriceAsync(Asset, feedE8);
            var trader = fixture.Chain.Signer(Trader).Address;

            var receipt = await EmergencyCloseWhenOpenAsync(marketId, Bytes32.Parse(positionId));

            Assert.True(receipt.Succeeded);
            var closed = receipt.Logs
                .Select(log => MarginManagerAbi.Definition.TryDecodeLog(log.Topics, log.Data))
                .Single(decoded => decoded?.Name == "EmergencyClosed")!;
            var size = (BigInteger)opened.Size;
            var entryE18 = (BigInteger)opened.EntryPriceE18;
            var feedE18 = (BigInteger)global::Aml.Orleans.Grains.Domain.Units.ToE18(feedE8);
            var pnl = size * (feedE18 - entryE18) / entryE18; // PositionMath.pnl for a long in profit
            var fee = (BigInteger)closed["fee"];
            Assert.Equal(feedE18, (BigInteger)closed["priceE18"]);
            Assert.Equal(pnl, (BigInteger)closed["pnl"]);
            Assert.Equal((BigInteger)Collateral + pnl - fee, (BigInteger)closed["payout"]); // no penalty on an exit
            Assert.Equal(BigInteger.Zero, (BigInteger)closed["badDebt"]);
            Assert.Equal((BigInteger)closed["payout"], PaidTo(receipt, trader)); // paid in the same transaction, not escrowed
            Assert.Equal(BigInteger.Zero, (await ViewAsync("claimable", trader))[0]);
            var final = await ClusterFixture.EventuallyAsync(
                position.GetSnapshotAsync, s => s is { Status: PositionStatus.Closed }, "the indexer delivers EmergencyClosed");
            Assert.Equal(0, final!.EscrowedPayout);
            Assert.Equal(0, final.Collateral);
            Assert.Equal(Ethereum.PositionStatus.Closed, (await fixture.ChainPositionAsync(positionId)).Status);
            // The exit released its size: open interest one block before and in the exit's block (one transaction each).
            var block = receipt.BlockNumber!.Value;
            var longBefore = (await ViewAsync("openInterest", marketId, Quantity.Encode(block - 1)))[0];
            Assert.Equal(longBefore - size, (await ViewAsync("openInterest", marketId, Quantity.Encode(block)))[0]);
        }
        finally
        {
            await SendAsAsync(0, MarginManagerAbi.EncodeSetMarketLimits(marketId, deployed));
            var market = (await fixture.Client.GetGrain<IMarketGrain>(Asset).GetSnapshotAsync()).LastPriceE8;
            if (market > 0)
            {
                await fixture.Chain.SetFeedPriceAsync(Asset, market);
            }
        }
    }

    /// <summary>
    /// Sends the trader's <c>emergencyClose</c> once the exit is open. Another suite's decision landing in the market
    /// moves the opening on (that is the rule: the oracle was not silent); the refusal names the new time, and the exit
    /// is tried again then.
    /// </summary>
    private async Task<TransactionReceipt> EmergencyCloseWhenOpenAsync(Bytes32 marketId, Bytes32 positionId)
    {
        var calldata = MarginManagerAbi.Function("emergencyClose").EncodeCall(positionId);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var availableAt = await EmergencyAvailableAtAsync(marketId);
            await ClusterFixture.EventuallyAsync(
                () => Task.FromResult(DateTimeOffset.UtcNow.ToUnixTimeSeconds()), now => (ulong)now >= availableAt,
                $"the wall clock at the exit's opening {availableAt}");
            await fixture.Chain.MineAsync(); // gas is estimated on the latest block: one at the wall clock's time
            try
            {
                return await SendAsAsync(Trader, calldata);
            }
            catch (ExecutionRevertedException refused) when (refused.Message.Contains(OracleStillLive, StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            {
                // A decision landed in between: read the new opening.
            }
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
    private async Task<BigInteger[]> ViewAsync(string name, object argument, string block = "latest")
    {
        var function = MarginManagerAbi.Function(name);
        var output = await fixture.Chain.Rpc.CallAsync(
            new CallRequest(Address.Parse(fixture.Chain.Deployment.MarginManager), function.EncodeCall(argument)), block);
        return function.DecodeOutput(output).Select(value => (BigInteger)value).ToArray();
    }

    /// <summary>
    /// What the collateral token moved from MarginManager to <paramref name="trader"/> in this receipt (its Transfer
    /// log): the trader's balance is no witness, other suites' positions of the same trader settle meanwhile.
    /// </summary>
    private BigInteger PaidTo(TransactionReceipt receipt, Address trader)
    {
        var token = Address.Parse(fixture.Chain.Deployment.CollateralToken);
        var transfers = receipt.Logs.Where(log => log.Address == token && log.Topics.Count == 3 && log.Topics[0] == TransferTopic &&
                                                  Topic(log.Topics[1]) == Address.Parse(fixture.Chain.Deployment.MarginManager) &&
                                                  Topic(log.Topics[2]) == trader);
        return transfers.Aggregate(BigInteger.Zero, (sum, log) => sum + new BigInteger(log.Data, isUnsigned: true, isBigEndian: true));
    }

    private static Address Topic(Bytes32 topic) => new(topic.Bytes[12..]);
}
