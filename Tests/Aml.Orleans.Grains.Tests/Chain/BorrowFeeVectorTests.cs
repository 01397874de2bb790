using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;

namespace Aml.Orleans.Grains.Tests.Chain;

/// <summary>
/// MarginMath against the deployed v2 contract, read at one block: the borrow fee equals <c>accruedBorrowFee</c>, and
/// at every price around the computed liquidation price (fee included) the engine's health check answers as
/// <c>isLiquidatable</c> does. The contract is the vector generator; the inputs are real positions on anvil.
/// </summary>
[Collection(ChainClusterCollection.Name)]
public sealed class BorrowFeeVectorTests(ChainClusterFixture fixture)
{
    private const string Asset = "BTC-USD"; // 3 bps/day in the dev deployment
    private const long EntryE8 = 20_000_00000000;

    [Fact]
    public async Task MarginMath_FeeEquityAndLiquidationPrice_AgreeWithTheContractAtOneBlock()
    {
        await fixture.MoveMarketAsync(Asset, EntryE8);
        var random = new Random(16);
        var opened = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var collateral = random.NextInt64(10_000, 100_000) * 1_000_000;
            var leverage = (uint)random.Next(200, 1_000);
            var margin = (uint)random.Next(100, 400);
            opened.Add((await fixture.OpenAsync(Asset, 6 + (i % 3), isLong: i % 2 == 0, collateral, leverage, margin, EntryE8)).PositionId);
        }

        foreach (var id in opened)
        {
            await ClusterFixture.EventuallyAsync(() => fixture.Client.GetGrain<IPositionGrain>(id).GetSnapshotAsync(), s => s is { Status: PositionStatus.Open }, "open");
        }

        // Let the fee accrue: blocks a few seconds after the opens.
        var openedAt = (await fixture.Chain.Rpc.GetBlockAsync("latest")).Timestamp;
        var head = await ClusterFixture.EventuallyAsync(
            async () => { await fixture.Chain.MineAsync(); return await fixture.Chain.Rpc.GetBlockAsync("latest"); },
            b => b.Timestamp >= openedAt + 3, "three seconds of fee");
        var block = Quantity.Encode(head!.Number);
        var contract = new MarginManagerClient(fixture.Chain.Rpc, Address.Parse(fixture.Chain.Deployment.MarginManager));
        var checkedPrices = 0;
        foreach (var id in opened.Select(Bytes32.Parse))
        {
            var p = await contract.GetPositionAsync(id, block);
            var (marketIndex, positionIndex) = await contract.GetBorrowIndexAsync(id, block);
            var fee = MarginMath.BorrowFee((long)p.Size, marketIndex - positionIndex);

            Assert.Equal((long)await contract.GetAccruedBorrowFeeAsync(id, block), fee);
            Assert.True(fee > 0, $"no fee accrued on {id} by block {head.Number}");
            var terms = new PositionTerms(p.IsLong, (long)p.Collateral, (long)p.Size, Units.FromE18(p.EntryPriceE18), p.MaintenanceMarginBps, fee);
            var band = MarginMath.LiquidationPrice(terms);
            // One unit of collateral in PnL spans entry/size price units: the window covers the whole boundary.
            var window = (terms.EntryPriceE8 / terms.Size) + 2;
            var answers = new HashSet<bool>();
            for (var priceE8 = band - window; priceE8 <= band + window; priceE8++)
            {
                var onChain = await contract.IsLiquidatableAsync(id, Units.ToE18(priceE8), block);
                Assert.True(onChain == MarginMath.IsLiquidatable(terms, priceE8), $"{id} at {priceE8} (band {band}, fee {fee}): contract says {onChain}");
                answers.Add(onChain);
                checkedPrices++;
            }

            Assert.Equal(2, answers.Count); // the band is the boundary: both answers occur around it
        }

        Assert.True(checkedPrices >= 30, $"{checkedPrices} prices checked");
        var snapshot = await fixture.Client.GetGrain<IPositionGrain>(opened[0]).GetSnapshotAsync();
        Assert.True(snapshot!.BorrowFee > 0, "the position grain counts the fee too");
    }
}
