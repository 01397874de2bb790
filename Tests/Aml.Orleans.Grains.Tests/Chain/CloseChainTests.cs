using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;

namespace Aml.Orleans.Grains.Tests.Chain;

/// <summary>The trader's own CLOSE: signed once per position version, sent by the trader's wallet.</summary>
[Collection(ChainClusterCollection.Name)]
public sealed class CloseChainTests(ChainClusterFixture fixture)
{
    private const string Asset = "BTC-USD";
    private const long Collateral = 500_000_000;
    private const long EntryE8 = 20_000_00000000;

    [Fact]
    public async Task RequestCloseAsync_AskedAgainAndAtAnotherPrice_OneSignedCloseWhichLands()
    {
        await fixture.MoveMarketAsync(Asset, EntryE8);
        var (positionId, _) = await fixture.OpenAsync(Asset, 7, isLong: true, Collateral, 300, 100, EntryE8);
        var position = fixture.Client.GetGrain<IPositionGrain>(positionId);
        await ClusterFixture.EventuallyAsync(position.GetSnapshotAsync, s => s is { Status: PositionStatus.Open }, "open");
        await fixture.WaitForChainClockAsync(); // a price as new as the open
        await fixture.MoveMarketAsync(Asset, EntryE8 * 101 / 100);

        var first = (await position.RequestCloseAsync()).Close!;
        var again = (await position.RequestCloseAsync()).Close!;
        await fixture.MoveMarketAsync(Asset, EntryE8 * 103 / 100);
        var better = first.Decision with { MarkPriceE8 = EntryE8 * 103 / 100, PriceTimestamp = first.Decision.PriceTimestamp + 1 };
        var direct = await fixture.Oracle.SignAsync(better);

        Assert.Equal(first.Digest, again.Digest);
        Assert.Equal(first.Digest, direct.Digest); // the oracle signs no second price for the same version
        var receipt = await fixture.CloseFromTheWalletAsync(first, 7);

        Assert.True(receipt.Succeeded);
        await ClusterFixture.EventuallyAsync(position.GetSnapshotAsync, s => s is { Status: PositionStatus.Closed }, "closed");
        Assert.Equal(Ethereum.PositionStatus.Closed, (await fixture.ChainPositionAsync(positionId)).Status);
    }

    [Fact]
    public async Task RequestCloseAsync_LatestPriceASecondOlderThanTheOpensBlock_RefusedUntilTheNextPrice()
    {
        await fixture.WaitForChainClockAsync();
        await fixture.MoveMarketAsync(Asset, EntryE8);
        var (_, tickAt) = await fixture.Client.GetGrain<IMarketGrain>(Asset).GetPriceAsync();
        // Bursts of blocks push anvil's clock ahead of ours: the open lands in the second after the market's latest price.
        await fixture.Chain.Rpc.RequestAsync("evm_setNextBlockTimestamp", [tickAt.ToUnixTimeSeconds() + 1]);
        var (positionId, _) = await fixture.OpenAsync(Asset, 8, isLong: true, Collateral, 300, 100, EntryE8);
        var position = fixture.Client.GetGrain<IPositionGrain>(positionId);
        await ClusterFixture.EventuallyAsync(position.GetSnapshotAsync, s => s is { Status: PositionStatus.Open }, "open");

        var refused = await position.RequestCloseAsync();
        await fixture.WaitForChainClockAsync();
        await fixture.MoveMarketAsync(Asset, EntryE8);
        var accepted = await position.RequestCloseAsync();

        Assert.False(refused.Accepted);
        Assert.Null(refused.Close);
        Assert.Contains("ask again after the next price", refused.Reason, StringComparison.Ordinal);
        Assert.True(accepted.Accepted, accepted.Reason);
        Assert.True(accepted.Close!.Decision.PriceTimestamp >= (ulong)tickAt.ToUnixTimeSeconds() + 1); // no older than the open's block
    }

    [Theory]
    [InlineData(5, 0, "bps from the feed")] // 5 % from the feed where the market allows 3 %
    [InlineData(0, 61, "decision TTL")] // living 61 s after its price where the market allows 60
    public async Task SignAsync_CloseTheFeedGuardOrTtlCapWouldReject_RefusedBeforeSigning(int percentOffFeed, int lifetime, string reason)
    {
        await fixture.MoveMarketAsync(Asset, EntryE8);
        var (positionId, _) = await fixture.OpenAsync(Asset, 6, isLong: false, Collateral, 200, 100, EntryE8);
        var open = await ClusterFixture.EventuallyAsync(
            () => fixture.Client.GetGrain<IPositionGrain>(positionId).GetSnapshotAsync(), s => s is { Status: PositionStatus.Open }, "open");
        await fixture.WaitForChainClockAsync();
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var close = new Decision(
            DecisionKind.Close, positionId, Asset, open!.Trader, false, open.Collateral, open.Size, open.MaxLeverageX100, open.MaintenanceMarginBps, 0,
            open.RiskScoreBps, EntryE8 * (100 + percentOffFeed) / 100, now, open.OnChainVersion, now + (ulong)(lifetime == 0 ? 30 : lifetime),
            ChainClusterFixture.TestModelHash, ChainClusterFixture.TestModelHash);

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => fixture.Oracle.SignAsync(close));

        Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
    }
}
