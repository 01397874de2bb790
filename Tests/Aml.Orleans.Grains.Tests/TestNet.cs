using System.Net;
using System.Net.Sockets;

namespace Aml.Orleans.Grains.Tests;

/// <summary>Loopback ports and tick times the fixtures hand out.</summary>
internal static class TestNet
{
    /// <summary>A port free on loopback right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Tick times close to now and strictly increasing, as a feed's are (a market refuses out-of-order ticks).</summary>
internal sealed class TickClock
{
    private long _last;

    public DateTimeOffset Next()
    {
        while (true)
        {
            var last = Interlocked.Read(ref _last);
            var next = Math.Max(DateTimeOffset.UtcNow.UtcTicks, last + TimeSpan.TicksPerMillisecond);
            if (Interlocked.CompareExchange(ref _last, next, last) == last)
            {
                return new DateTimeOffset(next, TimeSpan.Zero);
            }
        }
    }
}
