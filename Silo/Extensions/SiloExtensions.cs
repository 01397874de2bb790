using Orleans.Hosting;

namespace Aml.Orleans.Silo.Extensions;

/// <summary>Host wiring kept out of Program.cs so the entry point reads as a table of contents.</summary>
public static class SiloExtensions
{
    /// <summary>Co-hosts the Orleans silo in the web host; localhost clustering until the storage issue wires PostgreSQL.</summary>
    public static WebApplicationBuilder AddAmlSilo(this WebApplicationBuilder builder)
    {
        builder.UseOrleans(silo => silo.UseLocalhostClustering());
        builder.Services.AddHealthChecks();
        return builder;
    }

    /// <summary>Liveness endpoint; readiness with its dependency checks arrives with the gateway.</summary>
    public static WebApplication MapAmlEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health/live");
        return app;
    }
}
