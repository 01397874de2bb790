using System.Globalization;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using Xunit.Abstractions;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;

namespace Aml.Orleans.Grains.Tests.Chain;

/// <summary>
/// The FTX collapse (BTC, 2022-11-07 .. 2022-11-10, real 5-minute candles, about -25 %) replayed as ticks into the
/// engine, with positions open on the real contract: every position the path puts underwater is liquidated on-chain,
/// and the contract's ledger and the grains' agree position by position.
/// </summary>
[Collection(ChainClusterCollection.Name)]
public sealed class CrashReplayTests(ChainClusterFixture fixture, ITestOutputHelper output)
{
    private const string Asset = "BTC-USD";
    private const long Collateral = 1_000_000_000; // 1,000 USDC
    private const uint MaintenanceBps = 300; // above the 1 % penalty plus buffer: liquidations start partial

    [Fact]
    public async Task Replay_Ftx2022Week_UnderwaterPositionsLiquidatedAndLedgersAgree()
    {
        var candles = ReadCandles(
            Path.Combine(AnvilChain.RepositoryRoot(), "data", "market", "BTCUSDT-5m.csv"),
            new DateTimeOffset(2022, 11, 7, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2022, 11, 10, 0, 0, 0, TimeSpan.Zero));
        var entryE8 = candles[0].OpenE8;
        await fixture.MoveMarketAsync(Asset, entryE8);
        var book = new List<(string Id, bool IsLong, uint LeverageX100)>();
        var trader = 6;
        foreach (var (isLong, leverageX100) in ((bool, uint)[])[
                     (true, 200), (true, 300), (true, 500), (true, 800), (true, 1_000), (true, 1_500), (true, 2_000), (true, 3_000),
                     (false, 300), (false, 1_000), (false, 2_000)])
        {
            var (id, _) = await fixture.OpenAsync(Asset, trader, isLong, Collateral, leverageX100, MaintenanceBps, entryE8);
            book.Add((id, isLong, leverageX100));
            trader = trader == 8 ? 6 : trader + 1;
        }

        await ClusterFixture.EventuallyAsync(
            () => Task.WhenAll(book.Select(p => fixture.Client.GetGrain<IPositionGrain>(p.Id).GetSnapshotAsync())),
            all => all.All(s => s is { Status: PositionStatus.Open }), "all positions open");

        var ticks = 0;
        foreach (var candle in candles)
        {
            // Both extremes of every candle, the adverse-for-longs one first on a red candle.
            long[] path = candle.CloseE8 < candle.OpenE8
                ? [candle.OpenE8, candle.HighE8, candle.LowE8, candle.CloseE8]
                : [candle.OpenE8, candle.LowE8, candle.HighE8, candle.CloseE8];
            foreach (var price in path)
            {
                Assert.True((await fixture.TickAsync(Asset, price)).Accepted);
                ticks++;
            }
        }

        // The feed goes on at the last price while the last decisions settle.
        var lastE8 = candles[^1].CloseE8;
        var contract = new MarginManagerClient(fixture.Chain.Rpc, Address.Parse(fixture.Chain.Deployment.MarginManager));
        await ClusterFixture.EventuallyAsync(
            async () =>
            {
                await fixture.TickAsync(Asset, lastE8);
                return await Task.WhenAll(book.Select(async p => await SettledAsync(contract, p.Id, lastE8)));
            },
            settled => settled.All(x => x),
            "every position settled and healthy at the last price",
            seconds: 120);

        var liquidated = 0;
        foreach (var (id, isLong, leverageX100) in book)
        {
            var chain = await fixture.ChainPositionAsync(id);
            var grain = (await fixture.Client.GetGrain<IPositionGrain>(id).GetSnapshotAsync())!;
            Assert.Equal(chain.Version, grain.OnChainVersion);
            Assert.Equal((long)chain.Collateral, grain.Collateral);
            Assert.Equal((long)chain.Size, grain.Size);
            Assert.Equal(chain.Status == Ethereum.PositionStatus.Liquidated ? PositionStatus.Liquidated : PositionStatus.Open, grain.Status);

            var size = Collateral * leverageX100 / 100;
            var band = MarginMath.LiquidationPrice(new PositionTerms(isLong, Collateral, size, entryE8, MaintenanceBps));
            var crossed = candles.Any(c => isLong ? c.LowE8 < band : c.HighE8 > band);
            var wasLiquidated = (await fixture.Chain.Rpc.GetLogsAsync(new Ethereum.Rpc.LogFilter(
                Address.Parse(fixture.Chain.Deployment.MarginManager),
                [MarginManagerAbi.Definition.Event("PositionLiquidated").Topic0, Bytes32.Parse(id)], FromBlock: "0x0", ToBlock: "latest"))).Count > 0;
            Assert.True(crossed == wasLiquidated, $"{(isLong ? "long" : "short")} {leverageX100 / 100.0}x: band {band}, crossed {crossed}, liquidated {wasLiquidated}");
            liquidated += wasLiquidated ? 1 : 0;
            output.WriteLine($"{(isLong ? "long " : "short")} {leverageX100 / 100.0,5}x  chain {chain.Status,-10} v{chain.Version}  collateral {chain.Collateral,12}  size {chain.Size,13}");
        }

        output.WriteLine($"replayed {candles.Count} candles as {ticks} ticks; {liquidated} of {book.Count} positions liquidated (fully or in part)");
        Assert.True(liquidated >= 6, "a 25 % crash liquidates every long above 4x");
    }

    private async Task<bool> SettledAsync(MarginManagerClient contract, string positionId, long priceE8)
    {
        var grain = await fixture.Client.GetGrain<IPositionGrain>(positionId).GetSnapshotAsync();
        var chain = await fixture.ChainPositionAsync(positionId);
        if (grain is null || grain.PendingDigest is not null || grain.OnChainVersion != chain.Version)
        {
            return false;
        }

        return chain.Status != Ethereum.PositionStatus.Open ||
               !await contract.IsLiquidatableAsync(Bytes32.Parse(positionId), Units.ToE18(priceE8));
    }

    private static List<(long OpenE8, long HighE8, long LowE8, long CloseE8)> ReadCandles(string path, DateTimeOffset from, DateTimeOffset to) =>
        File.ReadLines(path).Skip(1)
            .Select(line => line.Split(','))
            .Where(f => DateTimeOffset.Parse(f[0], CultureInfo.InvariantCulture) is var t && t >= from && t < to)
            .Select(f => (E8(f[1]), E8(f[2]), E8(f[3]), E8(f[4])))
            .ToList();

    private static long E8(string price) => (long)Math.Round(decimal.Parse(price, CultureInfo.InvariantCulture) * 100_000_000m);
}
