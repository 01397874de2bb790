using System.Net;
using System.Net.Sockets;

namespace Aml.Orleans.Grains.Tests;

/// <summary>Loopback ports the fixtures hand out.</summary>
public static class TestNet
{
    /// <summary>A port free on loopback right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
