using System.Diagnostics;
using System.Diagnostics.Metrics;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Telemetry;
using Xunit.Abstractions;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;

namespace Aml.Orleans.Grains.Tests.Chain;

/// <summary>
/// The oracle's group commit against the real contracts: decisions submitted at once are made durable by a few state
/// writes and go out in a few batches, and each lands exactly once. It prints what it measured beside a baseline from
/// the same run (the same number of decisions submitted one at a time, each waiting for the one before) and asserts
/// only what cannot depend on the machine's speed.
/// </summary>
[Collection(ChainClusterCollection.Name)]
public sealed class OracleGroupCommitTests(ChainClusterFixture fixture, ITestOutputHelper output) : IDisposable
{
    private const string Asset = "ETH-USD";
    private const long Collateral = 500_000_000; // 500 USDC
    private const long EntryE8 = 3_000_00000000;
    private const int Decisions = 16;

    private readonly MeterListener _commits = new();
    private long _groups;
    private long _committed;

    public void Dispose() => _commits.Dispose();

    [Fact]
    public async Task SubmitAsync_SixteenAdjustsAtOnce_FewerCommitsAndBatchesThanDecisionsAndEachLandsOnce()
    {
        _commits.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == EngineTelemetry.Name && instrument.Name == "aml.oracle.commit_group")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _commits.SetMeasurementEventCallback<long>((_, size, _, _) =>
        {
            Interlocked.Increment(ref _groups);
            Interlocked.Add(ref _committed, size);
        });
        _commits.Start();
        await fixture.MoveMarketAsync(Asset, EntryE8);
        var opened = await Task.WhenAll(Enumerable.Range(0, 2 * Decisions).Select(_ => fixture.OpenAsync(Asset, 8, isLong: true, Collateral, 500, 100, EntryE8)));
        var positions = await Task.WhenAll(opened.Select(o => OpenSnapshotAsync(o.PositionId)));
        await fixture.WaitForChainClockAsync(); // ADJUSTs priced after the opens' blocks

        var oneByOne = await RunAsync(positions[..Decisions], async adjusts =>
        {
            var audits = new List<DecisionAudit>();
            foreach (var adjust in adjusts)
            {
                audits.Add(await fixture.Oracle.SubmitAsync(adjust, null));
            }

            return audits;
        });
        var atOnce = await RunAsync(positions[Decisions..], async adjusts => await Task.WhenAll(adjusts.Select(a => fixture.Oracle.SubmitAsync(a, null))));

        output.WriteLine($"{Decisions} ADJUSTs one at a time: {oneByOne}");
        output.WriteLine($"{Decisions} ADJUSTs at once:       {atOnce}");
        output.WriteLine($"at once over one at a time: taken in {oneByOne.TakenIn / atOnce.TakenIn:0.0}x faster, landed {oneByOne.Landed / atOnce.Landed:0.0}x faster, " +
                         $"{(double)atOnce.Groups / Decisions:0.00} vs {(double)oneByOne.Groups / Decisions:0.00} commits per decision");
        Assert.Equal(Decisions, atOnce.Committed);
        Assert.True(atOnce.Groups < Decisions, $"{atOnce.Groups} commits for {Decisions} decisions submitted at once");
        Assert.True(atOnce.Transactions < Decisions, $"{atOnce.Transactions} transactions for {Decisions} decisions submitted at once");
    }

    private async Task<Run> RunAsync(IReadOnlyList<PositionSnapshot> positions, Func<IReadOnlyList<Decision>, Task<IReadOnlyList<DecisionAudit>>> submit)
    {
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var adjusts = positions.Select(p => new Decision(
            DecisionKind.Adjust, p.PositionId, Asset, p.Trader, p.IsLong, p.Collateral, p.Size, p.MaxLeverageX100, p.MaintenanceMarginBps,
            0, 900, EntryE8, now, p.OnChainVersion, now + 60, ChainClusterFixture.TestModelHash, ChainClusterFixture.TestModelHash)).ToList();
        var (groupsBefore, committedBefore) = (Interlocked.Read(ref _groups), Interlocked.Read(ref _committed));
        var clock = Stopwatch.StartNew();
        var queued = await submit(adjusts);
        var takenIn = clock.Elapsed;
        Assert.All(queued, a => Assert.Equal(SubmissionStatus.Queued, a.Status));
        var settled = await Task.WhenAll(queued.Select(a => ClusterFixture.EventuallyAsync(
            () => fixture.Oracle.GetAuditAsync(a.Digest), s => s!.Status is not (SubmissionStatus.Queued or SubmissionStatus.Sent), "settled", 60)));
        var landed = clock.Elapsed;
        Assert.All(settled, s => Assert.True(s!.Status == SubmissionStatus.Applied, s.ToString()));
        Assert.All(settled, s => AssertStagesInOrder(s!));
        foreach (var position in positions)
        {
            // Applied once: the chain moved each position exactly one version on.
            Assert.Equal(position.OnChainVersion + 1, (await fixture.ChainPositionAsync(position.PositionId)).Version);
        }

        return new Run(
            takenIn, landed, Interlocked.Read(ref _groups) - groupsBefore, Interlocked.Read(ref _committed) - committedBefore,
            settled.Select(s => s!.TransactionHash).Distinct().Count());
    }

    /// <summary>
    /// Each stamp of the way to the chain is there, in the order the decision passed the stages: taken in, then signed
    /// and stored (either first: a turn's write made for a receipt stores the group before it is signed, else the write
    /// of its transaction stores both), then its transaction broadcast, then settled.
    /// </summary>
    private static void AssertStagesInOrder(DecisionAudit audit)
    {
        Assert.All(new[] { audit.QueuedAt, audit.SignedAt, audit.CommittedAt, audit.BroadcastAt }, stage => Assert.NotNull(stage));
        Assert.True(audit.QueuedAt <= audit.SignedAt && audit.QueuedAt <= audit.CommittedAt, $"signed or stored before it was taken in: {audit}");
        Assert.True(audit.SignedAt <= audit.BroadcastAt && audit.CommittedAt <= audit.BroadcastAt, $"broadcast before it was signed and stored: {audit}");
        Assert.True(audit.BroadcastAt <= audit.UpdatedAt, $"settled before it was broadcast: {audit}");
    }

    private async Task<PositionSnapshot> OpenSnapshotAsync(string positionId) =>
        (await ClusterFixture.EventuallyAsync(
            () => fixture.Client.GetGrain<IPositionGrain>(positionId).GetSnapshotAsync(), s => s is { Status: PositionStatus.Open }, $"{positionId} open", 60))!;

    private sealed record Run(TimeSpan TakenIn, TimeSpan Landed, long Groups, long Committed, int Transactions)
    {
        public override string ToString() =>
            $"all taken in (durable) after {TakenIn.TotalMilliseconds:0} ms ({Decisions / TakenIn.TotalSeconds:0}/s), all landed after " +
            $"{Landed.TotalMilliseconds:0} ms ({Decisions / Landed.TotalSeconds:0}/s); {Groups} commits (state write + audit upsert), {Transactions} transactions";
    }
}
