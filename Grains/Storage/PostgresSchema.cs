using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Aml.Orleans.Grains.Storage;

/// <summary>One embedded schema migration: <c>Storage/Sql/NNNN_name.sql</c>.</summary>
/// <param name="Version">The number in the file name; migrations run in this order.</param>
/// <param name="Name">The file name, e.g. <c>0002_orleans_clustering.sql</c>.</param>
/// <param name="Sql">The statements, run in one transaction.</param>
/// <param name="Sha256">Hash of the file, recorded so that an edited, already applied file is detected.</param>
public sealed record SchemaMigration(int Version, string Name, string Sql, byte[] Sha256);

/// <summary>
/// Applies the project's PostgreSQL schema (the tables and <c>OrleansQuery</c> rows of the Orleans ADO.NET
/// providers, plus the project's own tables) from the SQL files embedded in this assembly.
/// </summary>
public static partial class PostgresSchema
{
    /// <summary>The table that records which migrations a database has.</summary>
    public const string MigrationsTable = "aml_schema_migrations";

    // Key of the transaction-level advisory lock that serialises migrators: silos starting together, the
    // Kubernetes migration Job and tests all take it, so each file runs exactly once per database.
    private const long MigrationLockKey = 0x616D_6C5F_7363_6865; // "aml_sche"

    private const string ResourcePrefix = "Aml.Orleans.Grains.Storage.Sql.";

    private static readonly Lazy<IReadOnlyList<SchemaMigration>> LazyMigrations = new(LoadEmbedded);

    /// <summary>The embedded migrations in order of version.</summary>
    public static IReadOnlyList<SchemaMigration> Migrations => LazyMigrations.Value;

    /// <summary>
    /// Brings the database named by <paramref name="connectionString"/> up to date: applies, in order and each
    /// exactly once, the embedded migrations it does not have yet. Safe to call from several processes at once.
    /// </summary>
    /// <returns>The migrations applied by this call (empty when the database was already up to date).</returns>
    /// <exception cref="InvalidOperationException">An applied migration's file has changed since.</exception>
    public static async Task<IReadOnlyList<SchemaMigration>> MigrateAsync(
        string connectionString, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var migrations = Migrations;

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({MigrationLockKey})", cancellationToken);
        await ExecuteAsync(connection, transaction, $"""
            CREATE TABLE IF NOT EXISTS {MigrationsTable}
            (
                version    integer     NOT NULL PRIMARY KEY,
                name       text        NOT NULL,
                sha256     bytea       NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, cancellationToken);

        var applied = await ReadAppliedAsync(connection, transaction, cancellationToken);
        var appliedNow = new List<SchemaMigration>();
        foreach (var migration in migrations)
        {
            if (applied.TryGetValue(migration.Version, out var recorded))
            {
                if (!recorded.Sha256.AsSpan().SequenceEqual(migration.Sha256))
                {
                    throw new InvalidOperationException(
                        $"Migration {migration.Name} was changed after it was applied to this database (recorded as " +
                        $"{recorded.Name}, sha256 {Convert.ToHexStringLower(recorded.Sha256)}, file now " +
                        $"{Convert.ToHexStringLower(migration.Sha256)}). Applied migrations are immutable: " +
                        "add a new file instead.");
                }

                continue;
            }

            await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken);
            await using (var record = new NpgsqlCommand(
                $"INSERT INTO {MigrationsTable} (version, name, sha256) VALUES (@version, @name, @sha256)",
                connection, transaction))
            {
                record.Parameters.AddWithValue("version", migration.Version);
                record.Parameters.AddWithValue("name", migration.Name);
                record.Parameters.AddWithValue("sha256", migration.Sha256);
                await record.ExecuteNonQueryAsync(cancellationToken);
            }

            appliedNow.Add(migration);
        }

        // One transaction for the whole run: a failing file leaves the database exactly as it was.
        await transaction.CommitAsync(cancellationToken);
        return appliedNow;
    }

    /// <summary>Orders and checks migration files; exposed for tests of the naming rules.</summary>
    /// <param name="files">File name and content of each migration.</param>
    /// <exception cref="InvalidDataException">A file name is malformed or versions are not 1, 2, 3, ...</exception>
    public static IReadOnlyList<SchemaMigration> Parse(IEnumerable<(string Name, string Sql)> files)
    {
        var parsed = new List<SchemaMigration>();
        foreach (var (name, sql) in files)
        {
            var match = FileNamePattern().Match(name);
            if (!match.Success)
            {
                throw new InvalidDataException(
                    $"Migration file '{name}' must be named NNNN_lower_snake_case.sql (four-digit version first).");
            }

            if (string.IsNullOrWhiteSpace(sql))
            {
                throw new InvalidDataException($"Migration file '{name}' is empty.");
            }

            var version = int.Parse(match.Groups["version"].Value, NumberStyles.None, CultureInfo.InvariantCulture);
            parsed.Add(new SchemaMigration(version, name, sql, SHA256.HashData(Encoding.UTF8.GetBytes(sql))));
        }

        parsed.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < parsed.Count; i++)
        {
            if (parsed[i].Version != i + 1)
            {
                throw new InvalidDataException(
                    $"Migration file '{parsed[i].Name}' has version {parsed[i].Version}, expected {i + 1}: versions " +
                    "must run 1, 2, 3, ... without gaps or repeats.");
            }
        }

        return parsed;
    }

    private static IReadOnlyList<SchemaMigration> LoadEmbedded()
    {
        var assembly = typeof(PostgresSchema).Assembly;
        var files = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .Select(n => (n[ResourcePrefix.Length..], ReadResource(assembly, n)));
        var migrations = Parse(files);
        return migrations.Count > 0
            ? migrations
            : throw new InvalidOperationException($"No migrations embedded under {ResourcePrefix} in {assembly.GetName().Name}.");
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded resource {name} is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static async Task<Dictionary<int, SchemaMigration>> ReadAppliedAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var applied = new Dictionary<int, SchemaMigration>();
        await using var command = new NpgsqlCommand($"SELECT version, name, sha256 FROM {MigrationsTable}", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var version = reader.GetInt32(0);
            applied[version] = new SchemaMigration(version, reader.GetString(1), string.Empty, reader.GetFieldValue<byte[]>(2));
        }

        return applied;
    }

    private static async Task ExecuteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [GeneratedRegex(@"^(?<version>[0-9]{4})_[a-z0-9]+(_[a-z0-9]+)*\.sql$")]
    private static partial Regex FileNamePattern();
}
