using System.Net;
using System.Net.Sockets;

namespace Aml.Orleans.Silo.Tests;

/// <summary>
/// A loopback TCP proxy the tests can cut: while blocked it refuses connections and drops open ones, as a node
/// that went away does. Between silos and anvil it makes "the chain is unreachable" without losing the chain.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly int _upstreamPort;
    private readonly List<TcpClient> _open = [];
    private TcpListener? _listener;
    private CancellationTokenSource _cut = new();

    public TcpProxy(int upstreamPort)
    {
        _upstreamPort = upstreamPort;
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Unblock();
    }

    /// <summary>The port clients connect to.</summary>
    public int Port { get; }

    /// <summary>Refuses new connections and drops the open ones.</summary>
    public void Block()
    {
        _cut.Cancel();
        _listener?.Stop();
        _listener = null;
        lock (_open)
        {
            foreach (var client in _open)
            {
                client.Dispose();
            }

            _open.Clear();
        }
    }

    /// <summary>Accepts connections again.</summary>
    public void Unblock()
    {
        _cut = new CancellationTokenSource();
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        _ = AcceptAsync(_listener, _cut.Token);
    }

    public ValueTask DisposeAsync()
    {
        Block();
        return ValueTask.CompletedTask;
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken cut)
    {
        while (!cut.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(cut);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = PumpAsync(client, cut);
        }
    }

    private async Task PumpAsync(TcpClient client, CancellationToken cut)
    {
        var upstream = new TcpClient();
        lock (_open)
        {
            _open.Add(client);
            _open.Add(upstream);
        }

        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, _upstreamPort, cut);
            var down = client.GetStream();
            var up = upstream.GetStream();
            await Task.WhenAny(down.CopyToAsync(up, cut), up.CopyToAsync(down, cut));
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // the link was cut or closed: both sides go
        }
        finally
        {
            client.Dispose();
            upstream.Dispose();
        }
    }
}
