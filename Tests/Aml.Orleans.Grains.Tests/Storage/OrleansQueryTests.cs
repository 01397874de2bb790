using Aml.Orleans.Grains.Storage;
using Npgsql;

namespace Aml.Orleans.Grains.Tests.Storage;

/// <summary>One migrated database shared by the tests of <see cref="OrleansQueryTests"/>.</summary>
public sealed class MigratedDatabaseFixture : IAsyncLifetime
{
    public PostgresTestDatabase Database { get; private set; } = null!;

    /// <summary>Commands created here open and close their own pooled connection.</summary>
    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await PostgresTestDatabase.CreateAsync();
        await PostgresSchema.MigrateAsync(Database.ConnectionString, CancellationToken.None);
        DataSource = NpgsqlDataSource.Create(Database.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (DataSource is not null)
        {
            await DataSource.DisposeAsync();
        }

        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
    }
}

/// <summary>
/// Runs the stored <c>OrleansQuery</c> texts the way the providers do (named parameters, results read by column
/// name) to pin down the edge cases a running cluster rarely reaches: lost compare-and-swap races, wrapping
/// reminder ranges, stale reminder ETags and the per-row clean-up of dead silos.
/// </summary>
public sealed class OrleansQueryTests(MigratedDatabaseFixture fixture) : IClassFixture<MigratedDatabaseFixture>
{
    private const int Active = 3;
    private const int Dead = 6;

    [Fact]
    public async Task InsertMembershipVersion_Twice_OnlyFirstCreates()
    {
        Assert.Equal(1, await ScalarAsync("InsertMembershipVersionKey", ("DeploymentId", "version-once")));
        Assert.Equal(0, await ScalarAsync("InsertMembershipVersionKey", ("DeploymentId", "version-once")));
    }

    [Fact]
    public async Task InsertMembership_StaleVersion_NoRowAndVersionUnchanged()
    {
        const string Cluster = "insert-cas";
        await ScalarAsync("InsertMembershipVersionKey", ("DeploymentId", Cluster));

        Assert.Equal(1, await ScalarAsync("InsertMembershipKey", Silo(Cluster, 11111, version: 0)));
        Assert.Equal(0, await ScalarAsync("InsertMembershipKey", Silo(Cluster, 11112, version: 0)));

        Assert.Equal(1, await VersionAsync(Cluster));
        Assert.Equal(1L, await CountSilosAsync(Cluster));
    }

    [Fact]
    public async Task InsertMembership_ConcurrentSameVersion_ExactlyOneWins()
    {
        const string Cluster = "insert-race";
        await ScalarAsync("InsertMembershipVersionKey", ("DeploymentId", Cluster));

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => ScalarAsync("InsertMembershipKey", Silo(Cluster, 20000 + i, version: 0)))));

        Assert.Equal(1, results.Count(r => r == 1));
        Assert.Equal(1, await VersionAsync(Cluster));
        Assert.Equal(1L, await CountSilosAsync(Cluster));
    }

    [Fact]
    public async Task UpdateMembership_StaleVersion_RowUnchanged()
    {
        const string Cluster = "update-cas";
        await ScalarAsync("InsertMembershipVersionKey", ("DeploymentId", Cluster));
        await ScalarAsync("InsertMembershipKey", Silo(Cluster, 11111, version: 0));

        Assert.Equal(0, await ScalarAsync("UpdateMembershipKey", Update(Cluster, 11111, Dead, version: 0)));
        Assert.Equal(1, await ScalarAsync("UpdateMembershipKey", Update(Cluster, 11111, Dead, version: 1)));
        // Updating a silo that has no row changes nothing, not even the version.
        Assert.Equal(0, await ScalarAsync("UpdateMembershipKey", Update(Cluster, 19999, Dead, version: 2)));

        Assert.Equal(2, await VersionAsync(Cluster));
        Assert.Equal(Dead, await fixture.Database.ScalarAsync<int>(
            "SELECT status FROM orleans_membership WHERE deployment_id = @c", ("c", Cluster)));
    }

    [Fact]
    public async Task CleanupDefunctSiloEntry_ValuesAsRead_DeletesOnlyThatDeadRow()
    {
        const string Cluster = "cleanup-row";
        await ScalarAsync("InsertMembershipVersionKey", ("DeploymentId", Cluster));
        await ScalarAsync("InsertMembershipKey", Silo(Cluster, 11111, version: 0));
        await ScalarAsync("InsertMembershipKey", Silo(Cluster, 11112, version: 1));
        await ScalarAsync("UpdateMembershipKey", Update(Cluster, 11111, Dead, version: 2));

        // The provider passes back the timestamps it read, so they must round-trip exactly.
        var (startTime, aliveTime) = await ReadTimesAsync(Cluster, 11111);
        var changedMeanwhile = await ExecuteAsync("CleanupDefunctSiloEntryKey",
            ("DeploymentId", Cluster), ("Address", "10.0.0.1"), ("Port", 11111), ("Generation", 1),
            ("StartTime", startTime), ("IAmAliveTime", aliveTime.AddSeconds(1)), ("SuspectTimes", DBNull.Value));
        var asRead = await ExecuteAsync("CleanupDefunctSiloEntryKey",
            ("DeploymentId", Cluster), ("Address", "10.0.0.1"), ("Port", 11111), ("Generation", 1),
            ("StartTime", startTime), ("IAmAliveTime", aliveTime), ("SuspectTimes", DBNull.Value));

        Assert.Equal((0, 1), (changedMeanwhile, asRead));
        Assert.Equal(1L, await CountSilosAsync(Cluster));
    }

    [Fact]
    public async Task ReadRangeRows_SignedAndWrappingRanges_SelectByGrainHash()
    {
        const string Service = "range-service";
        foreach (var hash in new[] { int.MinValue, -5, 0, 5, int.MaxValue })
        {
            Assert.Equal(0, await ScalarAsync("UpsertReminderRowKey",
                ("ServiceId", Service), ("GrainId", $"probe/{hash}"), ("ReminderName", "r"),
                ("StartTime", DateTime.UtcNow), ("Period", 60_000), ("GrainHash", hash)));
        }

        Assert.Equal(["probe/0", "probe/5"], await ReadGrainIdsAsync("ReadRangeRows1Key", Service, -5, 5));
        Assert.Equal([$"probe/{int.MaxValue}", $"probe/{int.MinValue}", "probe/-5"],
            await ReadGrainIdsAsync("ReadRangeRows2Key", Service, 5, -5));
    }

    [Fact]
    public async Task Reminders_UpsertThenDeleteWithStaleVersion_KeepsRow()
    {
        var row = new (string, object)[]
        {
            ("ServiceId", "reminder-etag"), ("GrainId", "probe/1"), ("ReminderName", "r"),
            ("StartTime", DateTime.UtcNow), ("Period", 120_000L), ("GrainHash", 1),
        };
        Assert.Equal(0, await ScalarAsync("UpsertReminderRowKey", row));
        Assert.Equal(1, await ScalarAsync("UpsertReminderRowKey", row));

        var key = new (string, object)[] { ("ServiceId", "reminder-etag"), ("GrainId", "probe/1"), ("ReminderName", "r") };
        Assert.Equal(0, await ScalarAsync("DeleteReminderRowKey", [.. key, ("Version", 0)]));
        Assert.Equal(1, await ScalarAsync("DeleteReminderRowKey", [.. key, ("Version", 1)]));
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>(
            "SELECT count(*) FROM orleans_reminders WHERE service_id = 'reminder-etag'"));
    }

    private static (string, object)[] Silo(string cluster, int port, int version) =>
    [
        ("DeploymentId", cluster), ("Address", "10.0.0.1"), ("Port", port), ("Generation", 1),
        ("SiloName", $"silo-{port}"), ("HostName", "host"), ("Status", Active), ("ProxyPort", port + 1000),
        ("StartTime", DateTime.UtcNow), ("IAmAliveTime", DateTime.UtcNow), ("Version", version),
    ];

    private static (string, object)[] Update(string cluster, int port, int status, int version) =>
    [
        ("DeploymentId", cluster), ("Address", "10.0.0.1"), ("Port", port), ("Generation", 1),
        ("Status", status), ("SuspectTimes", DBNull.Value), ("IAmAliveTime", DateTime.UtcNow), ("Version", version),
    ];

    private Task<int> VersionAsync(string cluster) => fixture.Database.ScalarAsync<int>(
        "SELECT version FROM orleans_membership_version WHERE deployment_id = @c", ("c", cluster));

    private Task<long> CountSilosAsync(string cluster) => fixture.Database.ScalarAsync<long>(
        "SELECT count(*) FROM orleans_membership WHERE deployment_id = @c", ("c", cluster));

    private async Task<(DateTime StartTime, DateTime IAmAliveTime)> ReadTimesAsync(string cluster, int port)
    {
        await using var command = await CommandAsync("MembershipReadAllKey", ("DeploymentId", cluster));
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            if (reader.GetInt32(reader.GetOrdinal("Port")) == port)
            {
                return (reader.GetDateTime(reader.GetOrdinal("StartTime")), reader.GetDateTime(reader.GetOrdinal("IAmAliveTime")));
            }
        }

        throw new InvalidOperationException($"No membership row for port {port} in {cluster}.");
    }

    private async Task<List<string>> ReadGrainIdsAsync(string key, string service, int begin, int end)
    {
        await using var command = await CommandAsync(key, ("ServiceId", service), ("BeginHash", begin), ("EndHash", end));
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(int Hash, string GrainId)>();
        while (await reader.ReadAsync())
        {
            var grainId = reader.GetString(reader.GetOrdinal("GrainId"));
            rows.Add((int.Parse(grainId["probe/".Length..], System.Globalization.CultureInfo.InvariantCulture), grainId));
        }

        // Ring order from the range's start: hashes above begin first, then the wrapped-around ones.
        return [.. rows.OrderBy(r => r.Hash > begin ? 0 : 1).ThenBy(r => r.Hash).Select(r => r.GrainId)];
    }

    private async Task<int> ScalarAsync(string key, params (string Name, object Value)[] parameters)
    {
        await using var command = await CommandAsync(key, parameters);
        return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<int> ExecuteAsync(string key, params (string Name, object Value)[] parameters)
    {
        await using var command = await CommandAsync(key, parameters);
        return await command.ExecuteNonQueryAsync();
    }

    private async Task<NpgsqlCommand> CommandAsync(string key, params (string Name, object Value)[] parameters)
    {
        var text = await fixture.Database.ScalarAsync<string>("SELECT querytext FROM orleansquery WHERE querykey = @k", ("k", key));
        var command = fixture.DataSource.CreateCommand(text);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}
