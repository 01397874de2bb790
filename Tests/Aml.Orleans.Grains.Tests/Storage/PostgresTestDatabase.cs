using System.Security.Cryptography;
using Npgsql;

namespace Aml.Orleans.Grains.Tests.Storage;

/// <summary>
/// A fresh, empty database <c>aml_test_&lt;random&gt;</c> on the PostgreSQL server named by the environment variable
/// <c>AML_PG_CONNECTION</c> (exported by <c>./aml test</c>), dropped again on dispose. Tests that need PostgreSQL
/// fail, rather than skip, when the variable is absent: a silently skipped storage suite proves nothing.
/// </summary>
public sealed class PostgresTestDatabase : IAsyncDisposable
{
    /// <summary>The environment variable holding the server's connection string.</summary>
    public const string ConnectionVariable = "AML_PG_CONNECTION";

    private readonly string _serverConnectionString;

    private PostgresTestDatabase(string serverConnectionString, string name, string connectionString)
    {
        _serverConnectionString = serverConnectionString;
        Name = name;
        ConnectionString = connectionString;
    }

    /// <summary>The database's name.</summary>
    public string Name { get; }

    /// <summary>A connection string to the new database.</summary>
    public string ConnectionString { get; }

    /// <summary>The server connection string from <see cref="ConnectionVariable"/>, or a clear failure.</summary>
    public static string ServerConnectionString()
    {
        var value = Environment.GetEnvironmentVariable(ConnectionVariable);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                $"{ConnectionVariable} is not set: these tests need a real PostgreSQL server. Run them through " +
                $"`AML_TEST_PG_PORT=<port> ./aml test`, or start one and export {ConnectionVariable}, e.g. " +
                "Host=127.0.0.1;Port=55433;Username=aml;Database=postgres");
        }

        return value;
    }

    /// <summary>Creates a new database with a random name on the test server (or on <paramref name="server"/>).</summary>
    public static async Task<PostgresTestDatabase> CreateAsync(string? server = null)
    {
        server ??= ServerConnectionString();
        var name = "aml_test_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            // The name is ours (hex only), so composing the identifier is safe.
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(server) { Database = name };
        return new PostgresTestDatabase(server, name, builder.ConnectionString);
    }

    /// <summary>Runs one scalar query against the database.</summary>
    public async Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var result = await command.ExecuteScalarAsync();
        return result is T typed ? typed : throw new InvalidOperationException($"Query returned {result ?? "null"}, not {typeof(T).Name}: {sql}");
    }

    /// <summary>Runs one statement against the database and returns the affected row count.</summary>
    public async Task<int> ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await command.ExecuteNonQueryAsync();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Pooled connections of the silos would keep the database busy; FORCE ends them.
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_serverConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
