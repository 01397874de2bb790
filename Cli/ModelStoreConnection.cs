using Aml.Orleans.Grains.Storage;
using Aml.Orleans.Risk;
using Npgsql;

namespace Aml.Orleans.Cli;

/// <summary>The CLI's way into the model store: which database, and publishing a set into it.</summary>
internal static class ModelStoreConnection
{
    /// <summary>The environment variable the silo reads its database from (<c>ConnectionStrings:Postgres</c>).</summary>
    public const string Variable = "ConnectionStrings__Postgres";

    /// <summary><paramref name="flag"/> (the <c>--postgres</c> value), else <see cref="Variable"/>, normalised; else a usage error.</summary>
    public static string Resolve(string? flag)
    {
        var value = flag ?? Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new UsageException($"--postgres <connection string> (or {Variable}) is required: the model store is in PostgreSQL");
        }

        try
        {
            return PostgresSiloBuilderExtensions.NormalizeConnectionString(value);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--postgres: {e.Message}");
        }
    }

    /// <summary>Brings the schema up to date and publishes <paramref name="models"/>; true when this call stored it.</summary>
    public static async Task<bool> PublishAsync(string connectionString, RiskModelSet models)
    {
        await PostgresSchema.MigrateAsync(connectionString, CancellationToken.None);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        return await new ModelStoreTable(dataSource).PublishAsync(models);
    }
}
