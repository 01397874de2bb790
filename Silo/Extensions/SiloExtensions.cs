using System.Net;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Risk;
using Aml.Orleans.Grains.Storage;
using Aml.Orleans.Silo.Auth;
using Aml.Orleans.Silo.Feeds;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Orleans.Dashboard;
using Aml.Orleans.Grains.Hosting;
using Aml.Orleans.Silo.Services;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Orleans.Configuration;

namespace Aml.Orleans.Silo.Extensions;

/// <summary>Host wiring kept out of Program.cs so the entry point reads as a table of contents.</summary>
public static partial class SiloExtensions
{
    /// <summary>Kestrel endpoints, the co-hosted Orleans silo and what the grains need from configuration.</summary>
    public static WebApplicationBuilder AddAmlSilo(this WebApplicationBuilder builder)
    {
        var host = builder.Configuration.GetSection(AmlHostOptions.Section).Get<AmlHostOptions>() ?? new AmlHostOptions();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var address = host.LoopbackOnly ? IPAddress.Loopback : IPAddress.Any;
            kestrel.Listen(address, host.GrpcPort, o => o.Protocols = HttpProtocols.Http2);
            kestrel.Listen(address, host.HttpPort, o => o.Protocols = HttpProtocols.Http1AndHttp2);
            kestrel.Listen(address, host.AdminPort, o => o.Protocols = HttpProtocols.Http1AndHttp2);
        });
        // Longer than Orleans needs to hand grains over, shorter than the pod's termination grace period.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(60));

        var deployment = LoadDeployment(builder.Configuration);
        builder.UseOrleans(silo =>
        {
            ConfigureClustering(silo, builder.Configuration, host);
            silo.AddAmlGrains(
                positions: p => p.OracleKey = deployment?.OracleKey ?? "",
                catalog: c =>
                {
                    c.Markets = deployment?.Catalog() ?? new(StringComparer.Ordinal);
                    builder.Configuration.GetSection("Aml:Catalog:BookBuckets").Bind(c.BookBuckets); // e.g. Aml__Catalog__BookBuckets__ETH-USD=16
                },
                risk: r => builder.Configuration.GetSection("Aml:Risk").Bind(r),
                trainer: t => ReadTrainerOptions(builder.Configuration, t));
            silo.ScheduleAmlTrainers();
            if (deployment is not null)
            {
                silo.AddAmlChain(deployment, o => ReadOracleKeys(builder.Configuration, o), builder.Configuration.GetConnectionString("Postgres"));
                if (builder.Configuration["Aml:Chain:AdminKey"] is { Length: > 0 } adminKey)
                {
                    silo.AddAmlModelProposer(adminKey); // dev: the trainer queues its promotions itself
                }
            }

            silo.AddActivityPropagation();
            silo.AddDashboard();
        });

        builder.Services.Configure<CandleReplayOptions>(builder.Configuration.GetSection(CandleReplayOptions.Section));
        builder.Services.Configure<DevPriceFeedOptions>(builder.Configuration.GetSection(CandleReplayOptions.Section));
        builder.Services.AddSingleton<DevPriceFeedPublisher>();
        builder.Services.AddHostedService<CandleReplayFeed>();
        AddWalletAuth(builder, deployment, host);
        builder.Services.AddGrpc(o =>
        {
            o.EnableDetailedErrors = builder.Environment.IsDevelopment();
            o.Interceptors.Add<Services.TransientErrorInterceptor>();
        }).AddJsonTranscoding(o => o.JsonSettings.WriteInt64sAsStrings = true); // the proto3 JSON mapping: JavaScript loses integers beyond 2^53
        builder.Services.Configure<RateLimitOptions>(builder.Configuration.GetSection(RateLimitOptions.Section));
        builder.Services.AddSingleton<GatewayRateLimits>();
        builder.Services.AddSingleton<MarketChainStatus>();
        AddDevOriginCors(builder);
        builder.Services.AddGrpcHealthChecks();
        builder.Services.AddSingleton<Health.StartupWarmUp>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Health.StartupWarmUp>());
        builder.Services.AddHealthChecks()
            .AddCheck<Health.PostgresHealthCheck>("postgres")
            .AddCheck<Health.ChainHealthCheck>("chain")
            .AddCheck<Health.StartupWarmUp>("warm-up");
        return builder;
    }

    /// <summary>gRPC services (native, gRPC-Web and REST), health; metrics and dashboard on the admin port.</summary>
    public static WebApplication MapAmlEndpoints(this WebApplication app)
    {
        app.UseCors(DevOriginPolicy);
        app.UseAdminOnlyPaths();
        UseWebApp(app);
        app.UseGrpcWeb(new GrpcWebOptions { DefaultEnabled = true });
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGrpcService<MarketsService>();
        app.MapGrpcService<AuthService>();
        app.MapGrpcService<PositionsService>();
        app.MapGrpcService<AdminServiceImpl>();
        app.MapAdminSignOut();
        // The dashboard shows every grain and silo: administrators only (it has no auth of its own), on the admin port.
        app.MapOrleansDashboard("/dashboard").RequireAuthorization(p => p.RequireRole(WalletSignIn.AdminRole));
        app.MapGrpcHealthChecksService();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready");
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    /// <summary>Wallet sign-in and JWT bearer tokens; the deployment's admin and guardian are administrators.</summary>
    private static void AddWalletAuth(WebApplicationBuilder builder, Deployment? deployment, AmlHostOptions host)
    {
        var session = new AdminSession(host);
        builder.Services.AddSingleton(host);
        builder.Services.AddSingleton(session);
        builder.Services.Configure<AuthOptions>(builder.Configuration.GetSection(AuthOptions.Section));
        builder.Services.AddSingleton(new ChainIdentity(
            deployment?.ChainId ?? 0, deployment is null ? [] : [deployment.Admin, deployment.Guardian]));
        builder.Services.AddSingleton<WalletSignIn>();
        builder.Services.AddSingleton<QuoteSeal>();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.Events = AuthRefusals.Events(session);
        });
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<WalletSignIn>((o, signIn) => o.TokenValidationParameters = signIn.ValidationParameters());
        builder.Services.AddAuthorization();
    }

    private const string DevOriginPolicy = "dev-origin";

    /// <summary>
    /// The trader's web app (Web/, built by ./aml into Web/dist) at <c>/</c>, from <c>Aml:Web:Root</c> or, when unset,
    /// <c>Web/dist</c> under the working directory; without a build the gateway runs without it and says so.
    /// </summary>
    private static void UseWebApp(WebApplication app)
    {
        var root = app.Configuration["Aml:Web:Root"] is { Length: > 0 } configured ? configured : Path.Combine(Directory.GetCurrentDirectory(), "Web", "dist");
        if (!File.Exists(Path.Combine(root, "index.html")))
        {
            LogNoWebApp(app.Logger, root);
            return;
        }

        var files = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(Path.GetFullPath(root));
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No web app at {Root} (index.html missing): build it with ./aml setup; the gateway serves the API only")]
    private static partial void LogNoWebApp(ILogger logger, string root);

    /// <summary>
    /// The web app is served by the silo itself (same origin, no CORS needed); only its dev server (Vite, another port)
    /// is a second origin, allowed when <c>Aml:Web:DevOrigin</c> names it. No other origin is ever allowed.
    /// </summary>
    private static void AddDevOriginCors(WebApplicationBuilder builder)
    {
        var origin = builder.Configuration["Aml:Web:DevOrigin"];
        builder.Services.AddCors(o => o.AddPolicy(DevOriginPolicy, policy =>
        {
            if (!string.IsNullOrEmpty(origin))
            {
                policy.WithOrigins(origin).AllowAnyMethod()
                    .WithHeaders("authorization", "content-type", "x-grpc-web", "x-user-agent", "grpc-timeout", "connect-protocol-version")
                    .WithExposedHeaders("grpc-status", "grpc-message", "grpc-status-details-bin");
            }
        }));
    }

    private static void ReadTrainerOptions(IConfiguration configuration, TrainerOptions options)
    {
        foreach (var asset in configuration.GetSection("Aml:Trainer:History").GetChildren())
        {
            options.History[asset.Key] = asset.GetChildren().Select(c => c.Value).OfType<string>().ToArray();
        }

        if (configuration["Aml:Trainer:Period"] is { Length: > 0 } period)
        {
            options.Period = TimeSpan.Parse(period, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (configuration["Aml:Trainer:ShadowDecisions"] is { Length: > 0 } perSide)
        {
            options.ShadowDecisions = int.Parse(perSide, System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    private static Deployment? LoadDeployment(IConfiguration configuration)
    {
        var path = configuration["Aml:Chain:DeploymentFile"];
        return string.IsNullOrEmpty(path) ? null : Deployment.Load(path);
    }

    private static void ConfigureClustering(ISiloBuilder silo, IConfiguration configuration, AmlHostOptions host)
    {
        var postgres = configuration.GetConnectionString("Postgres");
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = configuration["ORLEANS_CLUSTER_ID"] ?? "aml-dev";
            o.ServiceId = configuration["ORLEANS_SERVICE_ID"] ?? "aml";
        });
        if (string.IsNullOrEmpty(postgres))
        {
            silo.UseLocalhostClustering(host.SiloPort, host.GatewayPort);
            silo.AddMemoryGrainStorage("aml");
            silo.UseInMemoryReminderService();
            return;
        }

        // Silo-to-silo traffic uses the pod's own address (POD_IP on Kubernetes), loopback on a developer machine.
        var advertised = IPAddress.TryParse(configuration["POD_IP"], out var podIp) ? podIp : IPAddress.Loopback;
        silo.ConfigureEndpoints(advertised, host.SiloPort, host.GatewayPort, listenOnAnyHostAddress: !host.LoopbackOnly);
        silo.UseAmlPostgres(postgres, applyMigrations: configuration.GetValue("Aml:Storage:ApplyMigrations", true));
    }

    /// <summary>
    /// Signer and relayer keys come from files (Kubernetes secrets mounted read-only) or, for local runs, from the
    /// environment; never from a committed file. Each <c>Aml:Oracle:SignerKeyFiles:N</c> holds one hex key.
    /// </summary>
    private static void ReadOracleKeys(IConfiguration configuration, Grains.Chain.OracleOptions options)
    {
        var section = configuration.GetSection("Aml:Oracle");
        foreach (var key in section.GetSection("SignerKeys").GetChildren().Select(c => c.Value).OfType<string>())
        {
            options.SignerKeys.Add(key);
        }

        foreach (var file in section.GetSection("SignerKeyFiles").GetChildren().Select(c => c.Value).OfType<string>())
        {
            options.SignerKeys.Add(File.ReadAllText(file).Trim());
        }

        options.RelayerKey = section["RelayerKeyFile"] is { Length: > 0 } relayerFile
            ? File.ReadAllText(relayerFile).Trim()
            : section["RelayerKey"] ?? "";
    }
}
