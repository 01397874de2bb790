using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Positions;
using Orleans.Core.Internal;

namespace Aml.Orleans.Grains.Tests.Grains;

[Collection(ClusterCollection.Name)]
public sealed class BookSweepTests(ClusterFixture fixture)
{
    private const long Collateral = 1_000 * Chain.Usdc;

    [Fact]
    public async Task Sweep_ReassessmentDue_PricedInOneBatchAndOnlyThePositionWhoseTermsShouldMoveIsWoken()
    {
        var (trader, fit) = await NewTraderAndTheTermsTheModelsGiveAsync();

        // One position holds exactly the terms the models answer; the other a margin 20 percentage points off them.
        // Both are deactivated, so an activation afterwards is the sweep waking it. The shard's counters are shared
        // with every other test's BTC-USD rows (all due after the jump below), so the assertions are on these two.
        var same = await OpenAsync(trader, fit.MaintenanceMarginBps, fit);
        var off = await OpenAsync(trader, fit.MaintenanceMarginBps + 2_000, fit);
        var samePosition = fixture.Client.GetGrain<IPositionGrain>(same.ToString());
        var offPosition = fixture.Client.GetGrain<IPositionGrain>(off.ToString());
        await DeactivateAsync(samePosition);
        await DeactivateAsync(offPosition);
        var shard = fixture.Client.GetGrain<IMarketBookGrain>(new BookShardKey("BTC-USD", 0).ToString());
        var before = await shard.GetSnapshotAsync();

        await Task.Run(() => fixture.Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(2))); // both due now
        var nextMs = (fixture.Time.GetUtcNow() + TimeSpan.FromMinutes(5)).ToUnixTimeMilliseconds() - 1_000;
        await ClusterFixture.EventuallyAsync(
            async () => (await shard.GetRowAsync(same))!.Value, r => r.NextReassessAtMs >= nextMs, "the quiet row priced and due again one interval later");
        await ClusterFixture.EventuallyAsync(
            () => ActivationsOfAsync(offPosition), a => a.Contains(offPosition.GetGrainId()), "the position whose terms should move woken");

        Assert.DoesNotContain(samePosition.GetGrainId(), await ActivationsOfAsync(samePosition)); // priced without waking it
        var after = await shard.GetSnapshotAsync();
        Assert.True(after.BatchAssessed - before.BatchAssessed >= 2, "both rows priced in the batch, not one at a time in their positions");
        Assert.True(after.BatchWoken - before.BatchWoken >= 1, "the off position woken by the batch");
        // Nothing is asserted of the woken one's row: the sweep leaves it at its retry time, but the position it woke
        // upserts its own row concurrently (with a decision on its way, or one interval later), so what a read finds is
        // a race, not the sweep's doing.
    }

    [Fact]
    public async Task Sweep_AfterTheShardRestarts_PricesTheDueRowInTheBatchWithoutWakingThePosition()
    {
        var (trader, fit) = await NewTraderAndTheTermsTheModelsGiveAsync();
        var key = await OpenAsync(trader, fit.MaintenanceMarginBps, fit); // terms the models keep: no ADJUST
        var position = fixture.Client.GetGrain<IPositionGrain>(key.ToString());
        var shard = fixture.Client.GetGrain<IMarketBookGrain>(new BookShardKey("BTC-USD", 0).ToString());

        // The trader the upsert named lived only in the old activation's memory until migration 0007 stored it.
        await DeactivateAsync(shard);
        await DeactivateAsync(position);
        Assert.Equal(0, (await shard.GetSnapshotAsync()).BatchAssessed); // activates it again (its timers run on the fake clock)

        await Task.Run(() => fixture.Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(2))); // due now
        var nextMs = (fixture.Time.GetUtcNow() + TimeSpan.FromMinutes(5)).ToUnixTimeMilliseconds() - 1_000;
        var row = await ClusterFixture.EventuallyAsync(
            async () => (await shard.GetRowAsync(key))!.Value, r => r.NextReassessAtMs >= nextMs, "the due row priced and due again one interval later");

        Assert.True((await shard.GetSnapshotAsync()).BatchAssessed >= 1);
        Assert.DoesNotContain(position.GetGrainId(), await ActivationsOfAsync(position));
        Assert.True(row.NextReassessAtMs >= nextMs);
    }

    /// <summary>A fresh trader and what the models answer for a 3x long of <see cref="Collateral"/> on BTC-USD.</summary>
    private async Task<(string Trader, RiskAssessment Fit)> NewTraderAndTheTermsTheModelsGiveAsync()
    {
        await fixture.FeedBtcMarketAsync();
        var trader = "0x" + Guid.NewGuid().ToString("N")[..20] + "00000000000000000000";
        var profile = await fixture.Client.GetGrain<ITraderGrain>(trader).GetProfileAsync();
        var fit = await fixture.Client.GetGrain<IRiskEngineGrain>("BTC-USD").AssessAsync(TermsHysteresis.Request(true, Collateral, 3 * Collateral, profile));
        return (trader, fit.Assessment ?? throw new InvalidOperationException($"BTC-USD is not priced: {fit.Refusal}"));
    }

    private async Task DeactivateAsync(IAddressable grain)
    {
        await grain.AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        await ClusterFixture.EventuallyAsync(() => ActivationsOfAsync(grain), a => !a.Contains(grain.GetGrainId()), $"{grain.GetGrainId()} deactivated");
    }

    private Task<List<GrainId>> ActivationsOfAsync(IAddressable grain) =>
        fixture.Client.GetGrain<IManagementGrain>(0).GetActiveGrains(grain.GetGrainId().Type).AsTask();

    private async Task<PositionKey> OpenAsync(string trader, uint marginBps, RiskAssessment fit)
    {
        var positionId = Chain.NewPositionId();
        var opened = Chain.Opened(positionId, "BTC-USD", true, Collateral, 300, 40_000 * Chain.Dollar, marginBps, trader);
        opened = opened with { Position = opened.Position with { MaxLeverageX100 = fit.MaxLeverageX100, RiskScoreBps = fit.RiskScoreBps } };
        await fixture.Client.GetGrain<IPositionEngineGrain>(positionId).ApplyChainEventAsync(opened);
        return PositionKey.Parse(positionId);
    }
}
