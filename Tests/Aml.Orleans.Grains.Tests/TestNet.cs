using System.Net;
using System.Net.Sockets;

namespace Aml.Orleans.Grains.Tests;

/// <summary>Loopback ports the fixtures hand out.</summary>
public static class TestNet
{
    // The fixtures of one test process start side by side (chains, PostgreSQL servers, silos with five ports each),
    // each binding its ports only later: a port the kernel offers again after its listener closed must not go to two.
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>A port free on loopback right now, and never handed out before in this process.</summary>
    public static int FreePort()
    {
        lock (HandedOut)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
