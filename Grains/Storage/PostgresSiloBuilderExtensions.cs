using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Positions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Storage;

namespace Aml.Orleans.Grains.Storage;

/// <summary>Wires a silo to PostgreSQL through the Orleans ADO.NET providers and the project's schema.</summary>
public static class PostgresSiloBuilderExtensions
{
    /// <summary>The ADO.NET invariant of Npgsql, as the providers name it.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>The named grain storage for the project's grains (also registered as the default storage).</summary>
    public const string StorageName = "aml";

    /// <summary>
    /// Uses PostgreSQL for cluster membership, grain state (the default storage and the named storage
    /// <see cref="StorageName"/>) and reminders. Grain state is stored as System.Text.Json, so state survives
    /// renames of CLR types and namespaces. When <paramref name="applyMigrations"/> is true the silo brings the
    /// schema up to date (<see cref="PostgresSchema.MigrateAsync"/>) before any provider starts; pass false when a
    /// separate job owns migrations and the silo's database role may not change the schema.
    /// </summary>
    public static ISiloBuilder UseAmlPostgres(this ISiloBuilder builder, string connectionString, bool applyMigrations = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var normalized = NormalizeConnectionString(connectionString);
        builder.UseAdoNetClustering(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = normalized;
        });
        return builder.AddAmlPostgresStorage(normalized, applyMigrations);
    }

    /// <summary>
    /// Grain state and reminders on PostgreSQL without the membership table: <see cref="UseAmlPostgres"/> adds
    /// membership; a test cluster with its own membership uses this alone.
    /// </summary>
    public static ISiloBuilder AddAmlPostgresStorage(this ISiloBuilder builder, string connectionString, bool applyMigrations = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var normalized = NormalizeConnectionString(connectionString);

        if (applyMigrations)
        {
            builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(
                services => new SchemaMigrationParticipant(normalized, services.GetRequiredService<ILogger<SchemaMigrationParticipant>>()));
        }

        builder.AddAdoNetGrainStorageAsDefault(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = normalized;
        });
        builder.AddAdoNetGrainStorage(StorageName, options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = normalized;
        });
        builder.UseAdoNetReminderService(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = normalized;
        });

        // The default storage serializer embeds CLR type names; JSON keeps stored state readable across renames.
        builder.UseSystemTextJsonGrainStorageSerializer();
        builder.AddAmlPositionBook(normalized);

        // The bulk path writes position grain state in the provider's own rows, so it exists only with this storage.
        builder.Services.TryAddSingleton(services => new PositionStateTable(
            services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<IGrainStorageSerializer>(),
            services.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId));
        builder.Services.TryAddSingleton(services => new PositionSeeder(
            services.GetRequiredService<IGrainFactory>(), services.GetRequiredService<PositionStateTable>(),
            services.GetRequiredService<IOptions<PositionOptions>>().Value, services.GetRequiredService<TimeProvider>()));
        return builder;
    }

    /// <summary>
    /// The market book shards' table (<see cref="PositionBookTable"/>) on PostgreSQL, with the silo's one
    /// <see cref="NpgsqlDataSource"/>. <see cref="AddAmlPostgresStorage"/> includes it; a test cluster that keeps grain
    /// state in memory adds it alone, since the book is rows in a table, not grain state.
    /// </summary>
    public static ISiloBuilder AddAmlPositionBook(this ISiloBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var normalized = NormalizeConnectionString(connectionString);
        builder.Services.TryAddSingleton(_ => NpgsqlDataSource.Create(normalized));
        builder.Services.TryAddSingleton<PositionBookTable>();
        // The model and outcome stores share the data source: wherever the book is in PostgreSQL, so are the model sets it
        // is priced by and the decisions' outcomes.
        builder.Services.TryAddSingleton<ModelStoreTable>();
        builder.Services.TryAddSingleton<Outcomes.OutcomeStoreTable>();
        builder.Services.TryAddSingleton<Outcomes.ShadowStoreTable>();
        builder.Services.TryAddSingleton<ModelCards>();
        return builder;
    }

    /// <summary>Lets an external client find the cluster's gateways through the PostgreSQL membership table.</summary>
    public static IClientBuilder UseAmlPostgres(this IClientBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var normalized = NormalizeConnectionString(connectionString);
        return builder.UseAdoNetClustering(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = normalized;
        });
    }

    /// <summary>
    /// Checks the connection string and pins the session time zone to UTC: the providers pass UTC
    /// <see cref="DateTime"/> values and the schema stores <c>timestamptz</c>, so no server default may shift them.
    /// </summary>
    /// <exception cref="ArgumentException">The connection string is empty, malformed or names no host.</exception>
    public static string NormalizeConnectionString(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        NpgsqlConnectionStringBuilder parsed;
        try
        {
            parsed = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"PostgreSQL connection string is malformed: {ex.Message}", nameof(connectionString), ex);
        }

        if (string.IsNullOrWhiteSpace(parsed.Host))
        {
            throw new ArgumentException("PostgreSQL connection string names no Host.", nameof(connectionString));
        }

        parsed.Timezone = "UTC";
        return parsed.ConnectionString;
    }

    /// <summary>Runs the migrations at the very first silo lifecycle stage, before membership and storage start.</summary>
    private sealed class SchemaMigrationParticipant(string connectionString, ILogger<SchemaMigrationParticipant> logger)
        : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(SchemaMigrationParticipant), ServiceLifecycleStage.First, MigrateAsync);

        private async Task MigrateAsync(CancellationToken cancellationToken)
        {
            var applied = await PostgresSchema.MigrateAsync(connectionString, cancellationToken);
            if (applied.Count > 0)
            {
                logger.LogInformation("Applied PostgreSQL migrations {Migrations}", string.Join(", ", applied.Select(m => m.Name)));
            }
        }
    }
}
