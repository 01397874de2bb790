using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Oracle;
using Orleans.Storage;

namespace Aml.Orleans.Grains.Tests.Oracle;

/// <summary>
/// What every journal store must do, run against each (memory, PostgreSQL): the state rebuilt from the rows after any
/// transition is the state in memory, each write carries only what changed, and a stale writer stores nothing.
/// </summary>
public abstract class OracleJournalContract
{
    private protected abstract IOracleJournalStore Store { get; }

    /// <summary>The audit rows the store holds, where it keeps them (null: it keeps none).</summary>
    private protected virtual Task<long?> AuditRowsAsync() => Task.FromResult<long?>(null);

    private protected JournalScenario NewScenario(string oracleKey = "6343:0xe7f1725e7734ce288f8367e1bb143e90bb3f0512") => new(Store, oracleKey);

    [Fact]
    public async Task ReloadAsync_AfterEveryTransition_RebuildsTheStateInMemory()
    {
        using var scenario = NewScenario();
        var state = scenario.State;
        async Task WrittenAndReloadedAsync(string step)
        {
            scenario.Advance(TimeSpan.FromMilliseconds(7));
            Assert.NotNull(await scenario.WriteAsync());
            Assert.True(JournalScenario.Canonical(state).SequenceEqual(JournalScenario.Canonical(await scenario.ReloadAsync())), step);
        }

        scenario.TakeIn(120);
        scenario.Refused();
        await WrittenAndReloadedAsync("intake");
        var first = await scenario.SendAsync(50, nonce: 1);
        var second = await scenario.SendAsync(50, nonce: 2);
        await WrittenAndReloadedAsync("two batches in flight");
        scenario.Changed(scenario.Tracker.Mined(first, new Dictionary<string, (SubmissionStatus, string)>(), 42, "0x" + new string('b', 64)));
        scenario.Changed(scenario.Tracker.Requeue(second));
        scenario.TakeIn(5);
        await WrittenAndReloadedAsync("mined, requeued at the head, more at the tail");
        Assert.Equal(second.Digests, state.Queue.Take(50));
        scenario.Changed(scenario.Tracker.Reorged(state.Unconfirmed[0]));
        var close = OracleParts.Decision(DecisionKind.Close, position: 900);
        state.LiveCloses[close.PositionId] = new SignedDecision(close, "0x01", "0x7", "0x02");
        state.Queue.Reverse(); // anything the transitions do not do: the whole queue is renumbered
        await WrittenAndReloadedAsync("reorged, a close, the queue reordered");
        state.LiveCloses.Clear();
        scenario.Changed(scenario.Tracker.Dropped(state.InFlightTransactions[0]).Select(e => Failed(e)));
        await WrittenAndReloadedAsync("dropped, the close expired");
    }

    [Fact]
    public async Task WriteAsync_AfterOneBatchIsMined_CarriesOnlyThatBatchAndItsTransaction()
    {
        using var scenario = NewScenario();
        scenario.TakeIn(1_000);
        await scenario.WriteAsync();
        var tx = await scenario.SendAsync(50, nonce: 1);
        await scenario.WriteAsync();

        scenario.Changed(scenario.Tracker.Mined(tx, new Dictionary<string, (SubmissionStatus, string)>(), 7, null));
        var delta = await scenario.WriteAsync();

        Assert.NotNull(delta);
        Assert.Empty(delta.NewEntries);
        Assert.Equal(tx.Digests.Order(), delta.ChangedEntries.Select(p => p.Digest).Order());
        Assert.Equal(tx.Hash, Assert.Single(delta.MovedTransactions).Hash);
        Assert.Empty(delta.NewTransactions);
        Assert.Equal(50, delta.Audits.Count);
        Assert.Null(await scenario.WriteAsync()); // nothing changed since
    }

    [Fact]
    public async Task WriteAsync_FromAStaleVersion_RefusedAndNothingStored()
    {
        using var scenario = NewScenario();
        scenario.TakeIn(3);
        await scenario.WriteAsync();
        var stale = new OracleJournal();
        var reloaded = stale.Rebuild((await Store.LoadAsync("6343:0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"))!);
        scenario.TakeIn(2);
        await scenario.WriteAsync(); // the first activation moves on

        reloaded.NextBatchNonce = 5;
        var entry = scenario.Parts.Entry(OracleParts.Decision(DecisionKind.Adjust, position: 77));
        reloaded.Entries[entry.Digest] = entry;
        stale.Changed(entry);
        var audited = await AuditRowsAsync();
        await Assert.ThrowsAsync<InconsistentStateException>(() => Store.WriteAsync("6343:0xe7f1725e7734ce288f8367e1bb143e90bb3f0512", stale.Delta(reloaded)!));

        Assert.Equal(audited, await AuditRowsAsync()); // not even the stale writer's audit row

        var stored = await scenario.ReloadAsync();
        Assert.Equal(JournalScenario.Canonical(scenario.State), JournalScenario.Canonical(stored));
    }

    [Fact]
    public async Task Prune_SettledPastTheHorizon_GoneFromMemoryAndTheRows()
    {
        using var scenario = NewScenario();
        scenario.TakeIn(60);
        var tx = await scenario.SendAsync(50, nonce: 1);
        scenario.Changed(scenario.Tracker.Mined(tx, new Dictionary<string, (SubmissionStatus, string)>(), 7, null));
        scenario.State.Unconfirmed.Clear(); // confirmed: it leaves the reorg watch
        await scenario.WriteAsync();
        scenario.Advance(TimeSpan.FromHours(25));

        var pruned = scenario.Journal.Prune(scenario.State, scenario.Parts.Clock.GetUtcNow() - TimeSpan.FromHours(24));
        await scenario.WriteAsync();

        Assert.Equal(50, pruned);
        var stored = await scenario.ReloadAsync();
        Assert.Equal(10, stored.Entries.Count); // the ten still queued stay, whatever their age
        Assert.Equal(JournalScenario.Canonical(scenario.State), JournalScenario.Canonical(stored));
    }

    private static OracleEntry Failed(OracleEntry entry)
    {
        (entry.Status, entry.Outcome) = (SubmissionStatus.Failed, "reverted in block 43");
        return entry;
    }
}

/// <summary>The journal contract against the memory store of a silo without a database.</summary>
public sealed class MemoryOracleJournalTests : OracleJournalContract
{
    private protected override IOracleJournalStore Store { get; } = new MemoryOracleJournalStore();
}
