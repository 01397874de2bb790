using System.Globalization;
using Npgsql;

namespace Aml.Orleans.Grains.Tests.Storage;

/// <summary>
/// A PostgreSQL server of its own (initdb + pg_ctl in a temp folder, as the postgres user when the tests run as root),
/// for the fault tests that stop and start the database: the server <c>./aml test</c> shares must stay up.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _directory;
    private readonly int _port;

    private PostgresServer(string directory, int port)
    {
        _directory = directory;
        _port = port;
    }

    /// <summary>A connection string to its <c>postgres</c> database as the <c>aml</c> superuser.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={_port};Username=aml;Database=postgres";

    /// <summary>Creates and starts a server on a free port.</summary>
    public static async Task<PostgresServer> StartAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "aml-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", "postgres", directory);
        }

        await AsOwnerAsync("initdb", "-D", directory, "-U", "aml", "--auth=trust", "--encoding=UTF8", "--locale=C");
        var server = new PostgresServer(directory, TestNet.FreePort());
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>
    /// Stops the server at once (connections are cut, as when the database host goes away). The test process's own
    /// pooled connections are dropped too: the server closed them, and a probe after the restart must not get one.
    /// </summary>
    public async Task StopAsync()
    {
        await AsOwnerAsync("pg_ctl", "-D", _directory, "-m", "immediate", "-w", "stop");
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Starts the stopped server again on the same port.</summary>
    public Task StartAgainAsync() => AsOwnerAsync(
        "pg_ctl", "-D", _directory, "-w", "-t", "60", "-l", Path.Combine(_directory, "server.log"),
        "-o", $"-h 127.0.0.1 -p {_port.ToString(CultureInfo.InvariantCulture)} -k {_directory} -c fsync=off -c max_connections=200", "start");

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // already stopped
        }

        Directory.Delete(_directory, recursive: true);
    }

    private static Task AsOwnerAsync(string tool, params string[] arguments) =>
        Environment.UserName == "root" ? RunAsync("runuser", ["-u", "postgres", "--", tool, .. arguments]) : RunAsync(tool, arguments);

    private static Task RunAsync(string file, params string[] arguments) => Chain.AnvilChain.RunAsync(file, arguments);
}
