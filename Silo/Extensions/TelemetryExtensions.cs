using Aml.Orleans.Grains.Telemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Aml.Orleans.Silo.Extensions;

/// <summary>Traces and metrics: Orleans' and ASP.NET Core's own plus the engine's, Prometheus on /metrics, OTLP when configured.</summary>
public static class TelemetryExtensions
{
    /// <summary>Adds OpenTelemetry: metrics always, traces (and the OTLP exporter) only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.</summary>
    public static WebApplicationBuilder AddAmlTelemetry(this WebApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

        // Orleans places every new activation through a Polly pipeline that logs two Information lines each time: at
        // 100k positions that was 200k log lines, written on the activation path. Its warnings and errors still show.
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        var telemetry = builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddService("aml-silo"));
        if (otlp)
        {
            // Traces only when something receives them: a listener samples every request and every grain call into
            // spans (five per quote), and without an exporter each was built only to be dropped.
            telemetry.WithTracing(tracing => tracing
                .AddSource(EngineTelemetry.Name, "Microsoft.Orleans.Application", "Microsoft.Orleans.Runtime")
                .AddAspNetCoreInstrumentation()
                .AddOtlpExporter());
        }

        telemetry
            .WithMetrics(metrics =>
            {
                // Npgsql's own meter counts failed commands (db.client.operation.failed): the PostgreSQL-errors alert.
                metrics.AddMeter(EngineTelemetry.Name, Health.OperationsSampler.MeterName, "Microsoft.Orleans", "Npgsql")
                    .AddAspNetCoreInstrumentation()
                    .AddPrometheusExporter();
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        builder.Services.AddHostedService<Health.OperationsSampler>();
        return builder;
    }
}
