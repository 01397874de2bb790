using System.Text;
using System.Text.Json;
using Aml.Orleans.Grains.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Aml.Orleans.Grains.Tests.Storage;

/// <summary>
/// Builds test clusters whose silos talk over TCP and use PostgreSQL through <c>UseAmlPostgres</c>. (The
/// InProcessTestCluster always uses its own in-memory membership table and transport, so it cannot exercise the
/// ADO.NET membership provider.)
/// </summary>
internal static class PostgresClusters
{
    internal const string ConnectionKey = "AmlTestPostgres";

    public static TestCluster Build(string connectionString, string serviceId, string clusterId, short silos)
    {
        var builder = new TestClusterBuilder(silos);
        // Membership comes from PostgreSQL, not from the harness' development membership.
        builder.Options.UseTestClusterMembership = false;
        builder.Options.ServiceId = serviceId;
        builder.Options.ClusterId = clusterId;
        builder.Options.ConfigureFileLogging = false;
        builder.Properties[ConnectionKey] = connectionString;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        return builder.Build();
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.UseAmlPostgres(siloBuilder.Configuration[ConnectionKey]!);
            // Lets a reminder fire within the test; production keeps the one-minute minimum.
            siloBuilder.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.UseAmlPostgres(configuration[ConnectionKey]!);
    }
}

/// <summary>One database and one two-silo cluster on it, shared by the tests of <see cref="PostgresClusterTests"/>.</summary>
public sealed class PostgresClusterFixture : IAsyncLifetime
{
    public const string ServiceId = "aml-storage-tests";
    public const string ClusterId = "aml-storage-two-silos";

    public PostgresTestDatabase Database { get; private set; } = null!;

    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await PostgresTestDatabase.CreateAsync();
        // No explicit migration: both silos apply the schema at start-up, as production silos do.
        Cluster = PostgresClusters.Build(Database.ConnectionString, ServiceId, ClusterId, silos: 2);
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }

        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
    }
}

public sealed class PostgresClusterTests(PostgresClusterFixture fixture) : IClassFixture<PostgresClusterFixture>
{
    private static readonly TimeSpan ReminderWait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task UseAmlPostgres_TwoSilos_BothActiveInMembershipTable()
    {
        await fixture.Cluster.WaitForLivenessToStabilizeAsync();

        var active = await fixture.Database.ScalarAsync<long>(
            "SELECT count(*) FROM orleans_membership WHERE deployment_id = @cluster AND status = 3",
            ("cluster", PostgresClusterFixture.ClusterId));
        Assert.Equal(2L, active);
        foreach (var silo in fixture.Cluster.Silos)
        {
            Assert.Equal(1L, await fixture.Database.ScalarAsync<long>(
                "SELECT count(*) FROM orleans_membership WHERE deployment_id = @cluster AND port = @port AND generation = @generation",
                ("cluster", PostgresClusterFixture.ClusterId), ("port", silo.SiloAddress.Endpoint.Port),
                ("generation", silo.SiloAddress.Generation)));
        }

        // Each join bumped the version row through the compare-and-swap.
        Assert.True(await fixture.Database.ScalarAsync<int>(
            "SELECT version FROM orleans_membership_version WHERE deployment_id = @cluster",
            ("cluster", PostgresClusterFixture.ClusterId)) >= 2);
        // The client found a gateway through GatewaysQueryKey and can reach a grain.
        await fixture.Cluster.Client.GetGrain<IStorageProbeGrain>("membership").SetAsync("reachable");
    }

    [Fact]
    public async Task WriteState_StaleETag_ThrowsInconsistentStateAndKeepsOtherWrite()
    {
        const string Key = "stale-etag";
        var grain = fixture.Cluster.Client.GetGrain<IStorageProbeGrain>(Key);
        await grain.SetAsync("first");

        // Another writer (e.g. a duplicate activation during a partition) moves the row on behind the grain's back.
        var moved = await fixture.Database.ExecuteAsync(
            """
            UPDATE orleans_storage
            SET version = version + 1, payload_binary = convert_to('{"Text":"other","Writes":9}', 'UTF8')
            WHERE service_id = @service AND grain_id_extension LIKE @key
            """,
            ("service", PostgresClusterFixture.ServiceId), ("key", "%" + Key));
        Assert.Equal(1, moved);

        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.SetAsync("second"));

        var stored = await fixture.Database.ScalarAsync<string>(
            "SELECT convert_from(payload_binary, 'UTF8') FROM orleans_storage WHERE service_id = @service AND grain_id_extension LIKE @key",
            ("service", PostgresClusterFixture.ServiceId), ("key", "%" + Key));
        Assert.Equal("other", JsonDocument.Parse(stored).RootElement.GetProperty("Text").GetString());
        Assert.Equal(2, await fixture.Database.ScalarAsync<int>(
            "SELECT version FROM orleans_storage WHERE service_id = @service AND grain_id_extension LIKE @key",
            ("service", PostgresClusterFixture.ServiceId), ("key", "%" + Key)));
    }

    [Fact]
    public async Task GrainStorage_WritesAndClears_EnforceETags()
    {
        var storage = fixture.Cluster.GetSiloServiceProvider(fixture.Cluster.Silos[0].SiloAddress).GetRequiredKeyedService<IGrainStorage>(PostgresSiloBuilderExtensions.StorageName);
        var grainId = GrainId.Create("aml-storage-probe", "etag-rules");
        const string StateName = "direct";

        var writer = new GrainState<StorageProbeState>(new StorageProbeState { Text = "one" });
        await storage.WriteStateAsync(StateName, grainId, writer);
        Assert.Equal("1", writer.ETag);

        // A second first-write (no ETag) must not overwrite the existing row.
        var latecomer = new GrainState<StorageProbeState>(new StorageProbeState { Text = "late" });
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grainId, latecomer));

        writer.State = new StorageProbeState { Text = "two" };
        await storage.WriteStateAsync(StateName, grainId, writer);
        Assert.Equal("2", writer.ETag);

        var stale = new GrainState<StorageProbeState>(new StorageProbeState { Text = "stale" }) { ETag = "1", RecordExists = true };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grainId, stale));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, grainId, stale));

        var reader = new GrainState<StorageProbeState>(new StorageProbeState());
        await storage.ReadStateAsync(StateName, grainId, reader);
        Assert.Equal(("two", "2"), (reader.State?.Text, reader.ETag));

        await storage.ClearStateAsync(StateName, grainId, writer);
        Assert.Equal("3", writer.ETag);
        await storage.ReadStateAsync(StateName, grainId, reader);
        Assert.Equal((string.Empty, "3"), (reader.State?.Text, reader.ETag));
    }

    [Fact]
    public async Task RegisterReminder_OnPostgres_RowPersistedAndReminderFires()
    {
        const string Key = "reminder-probe";
        var firstTick = StorageProbeSignals.FirstTick(Key, "wake");

        await fixture.Cluster.Client.GetGrain<IStorageProbeGrain>(Key).RemindAsync("wake", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));

        Assert.Equal(60_000L, await fixture.Database.ScalarAsync<long>(
            "SELECT period_ms FROM orleans_reminders WHERE service_id = @service AND reminder_name = 'wake' AND grain_id LIKE @key",
            ("service", PostgresClusterFixture.ServiceId), ("key", "%" + Key)));
        // Waits for the grain's signal (not a sleep); the bound only stops a broken reminder service hanging the run.
        await firstTick.WaitAsync(ReminderWait);
    }

    [Fact]
    public async Task GrainState_ClusterStoppedAndRestarted_ReadBackFromPostgres()
    {
        const string ServiceId = "aml-storage-restart";
        const string ClusterId = "aml-storage-restart";
        const string Key = "survivor";

        var first = PostgresClusters.Build(fixture.Database.ConnectionString, ServiceId, ClusterId, silos: 1);
        await first.DeployAsync();
        await first.Client.GetGrain<IStorageProbeGrain>(Key).SetAsync("before restart");
        await first.StopAllSilosAsync();
        await first.DisposeAsync();

        var second = PostgresClusters.Build(fixture.Database.ConnectionString, ServiceId, ClusterId, silos: 1);
        await second.DeployAsync();
        try
        {
            var state = await second.Client.GetGrain<IStorageProbeGrain>(Key).GetAsync();
            Assert.Equal(("before restart", 1), (state.Text, state.Writes));
        }
        finally
        {
            await second.StopAllSilosAsync();
            await second.DisposeAsync();
        }

        // Stored as JSON without CLR type names, so renaming the state class does not strand old rows.
        var payload = await fixture.Database.ScalarAsync<byte[]>(
            "SELECT payload_binary FROM orleans_storage WHERE service_id = @service AND grain_id_extension LIKE @key",
            ("service", ServiceId), ("key", "%" + Key));
        var json = Encoding.UTF8.GetString(payload);
        Assert.Equal("before restart", JsonDocument.Parse(json).RootElement.GetProperty("Text").GetString());
        Assert.DoesNotContain(nameof(StorageProbeState), json, StringComparison.Ordinal);
    }
}
