using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Oracle;
using Aml.Orleans.Grains.Storage;
using Aml.Orleans.Grains.Tests.Oracle;
using Npgsql;

namespace Aml.Orleans.Grains.Tests.Storage;

/// <summary>
/// The journal contract against real PostgreSQL (AML_PG_CONNECTION), plus what only the database shows: the audit rows
/// go in the same transaction as the journal rows (a stale writer stores neither), and a write the server refused is written whole by the next one.
/// </summary>
public sealed class OracleJournalTableTests : OracleJournalContract, IAsyncLifetime
{
    private PostgresTestDatabase _database = null!;
    private NpgsqlDataSource _dataSource = null!;
    private OracleJournalTable _table = null!;

    private protected override IOracleJournalStore Store => _table;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        await PostgresSchema.MigrateAsync(_database.ConnectionString, CancellationToken.None);
        _dataSource = NpgsqlDataSource.Create(_database.ConnectionString);
        _table = new OracleJournalTable(_dataSource);
    }

    public async Task DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task WriteAsync_AnIntakeThenItsBatch_AuditRowsFollowInTheSameWrites()
    {
        using var scenario = NewScenario();
        scenario.TakeIn(20);
        var refused = scenario.Refused();
        await scenario.WriteAsync();
        Assert.Equal((0L, 1L), (await CountAuditAsync("QUEUED"), await CountAuditAsync("FAILED"))); // intake: the refused one only
        await WriteDueAuditsAsync(scenario);
        Assert.Equal(20L, await CountAuditAsync("QUEUED"));

        var tx = await scenario.SendAsync(15, nonce: 1);
        await scenario.WriteAsync();

        Assert.Equal((15L, 5L), (await CountAuditAsync("SENT"), await CountAuditAsync("QUEUED")));
        Assert.Equal(15L, await _database.ScalarAsync<long>(
            $"SELECT count(*) FROM aml_audit_decision WHERE tx_hash = decode('{tx.Hash[2..]}', 'hex') AND signed_at IS NOT NULL"));
        Assert.DoesNotContain(refused.Digest, (await scenario.ReloadAsync()).Entries.Keys); // audited, not held
    }

    [Fact]
    public async Task Rebuild_ACrashBeforeTheQueuedWereAudited_TheFirstWriteAfterAuditsThemAll()
    {
        using var scenario = NewScenario();
        scenario.TakeIn(30);
        await scenario.WriteAsync(); // then the silo dies before the turn's closing write

        var activated = new OracleJournal();
        var state = activated.Rebuild((await _table.LoadAsync(OracleKey))!);
        Assert.True(activated.HasAuditDue);
        var delta = activated.Delta(state, withDueAudits: true)!;
        await _table.WriteAsync(OracleKey, delta);

        Assert.Equal(30L, await CountAuditAsync("QUEUED"));
    }

    [Fact]
    public async Task WriteAsync_AuditTableAway_JournalStoredAuditStagedUntilTheTableIsBack()
    {
        using var scenario = NewScenario();
        scenario.TakeIn(12);
        await scenario.WriteAsync();
        await _database.ExecuteAsync("ALTER TABLE aml_audit_decision RENAME TO aml_audit_decision_away");
        await scenario.SendAsync(12, nonce: 1);
        var delta = scenario.Journal.Delta(scenario.State)!;

        Assert.False(await _table.WriteAsync(OracleKey, delta));
        scenario.Journal.Written(delta);
        Assert.False(await _table.DrainAuditAsync());
        await _database.ExecuteAsync("ALTER TABLE aml_audit_decision_away RENAME TO aml_audit_decision");

        Assert.True((await _table.LoadAsync(OracleKey))!.AuditStaged);
        Assert.Equal(JournalScenario.Canonical(scenario.State), JournalScenario.Canonical(await scenario.ReloadAsync()));
        Assert.True(await _table.DrainAuditAsync());
        Assert.Equal(12L, await CountAuditAsync("SENT"));
        Assert.Equal(0L, await _database.ScalarAsync<long>("SELECT count(*) FROM aml_oracle_audit_outbox"));
    }

    [Fact]
    public async Task WriteAsync_AfterAWriteTheServerRefused_TheNextWriteCarriesBoth()
    {
        using var scenario = NewScenario();
        scenario.TakeIn(10);
        var unreachable = new NpgsqlConnectionStringBuilder(_database.ConnectionString) { Port = 9, Timeout = 1 }.ConnectionString;
        await using var away = NpgsqlDataSource.Create(unreachable);
        var failed = scenario.Journal.Delta(scenario.State)!;
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => new OracleJournalTable(away).WriteAsync(OracleKey, failed));

        await scenario.SendAsync(4, nonce: 1);
        var delta = await scenario.WriteAsync();

        Assert.Equal(10, delta!.NewEntries.Count); // never stored: still new, the four sent among them
        Assert.Equal(JournalScenario.Canonical(scenario.State), JournalScenario.Canonical(await scenario.ReloadAsync()));
    }

    private protected override async Task<long?> AuditRowsAsync() => await _database.ScalarAsync<long>("SELECT count(*) FROM aml_audit_decision");

    private const string OracleKey = "6343:0xe7f1725e7734ce288f8367e1bb143e90bb3f0512";

    private static async Task WriteDueAuditsAsync(JournalScenario scenario)
    {
        var delta = scenario.Journal.Delta(scenario.State, withDueAudits: true)!;
        await scenario.Store.WriteAsync(OracleKey, delta);
        scenario.Journal.Written(delta);
    }

    private Task<long> CountAuditAsync(string status) =>
        _database.ScalarAsync<long>($"SELECT count(*) FROM aml_audit_decision WHERE status = '{status}'");
}
