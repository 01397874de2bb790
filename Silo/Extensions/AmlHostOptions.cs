namespace Aml.Orleans.Silo.Extensions;

/// <summary>The host's configuration (section <c>Aml</c>; environment variables <c>Aml__Section__Key</c>).</summary>
public sealed class AmlHostOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Aml";

    /// <summary>Port for gRPC over HTTP/2 (native clients).</summary>
    public int GrpcPort { get; set; } = 8080;

    /// <summary>Port for HTTP/1.1 and HTTP/2: REST (JSON transcoding), gRPC-Web, health, metrics, dashboard.</summary>
    public int HttpPort { get; set; } = 8081;

    /// <summary>Orleans silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Orleans client gateway port.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Bind to loopback only (local runs); in a pod the host listens on all interfaces.</summary>
    public bool LoopbackOnly { get; set; } = true;
}
