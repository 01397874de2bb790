namespace Aml.Orleans.Silo.Extensions;

/// <summary>The host's configuration (section <c>Aml</c>; environment variables <c>Aml__Section__Key</c>).</summary>
public sealed class AmlHostOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Aml";

    /// <summary>Port for gRPC over HTTP/2 (native clients).</summary>
    public int GrpcPort { get; set; } = 8080;

    /// <summary>Port for HTTP/1.1 and HTTP/2: the web app, REST (JSON transcoding), gRPC-Web, health. Trader-facing.</summary>
    public int HttpPort { get; set; } = 8081;

    /// <summary>
    /// Port for operators: everything the HTTP port serves plus <c>/metrics</c> and the Orleans dashboard, and the only
    /// port where the admin session cookie counts. Never exposed by the trader-facing Service.
    /// </summary>
    public int AdminPort { get; set; } = 8082;

    /// <summary>Orleans silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Orleans client gateway port.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Bind to loopback only (local runs); in a pod the host listens on all interfaces.</summary>
    public bool LoopbackOnly { get; set; } = true;
}
