using System.Diagnostics.Metrics;
using System.Numerics;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Telemetry;
using Aml.Orleans.Silo.Services;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Aml.Orleans.Silo.Health;

/// <summary>
/// Samples, every 15 s, what the alert rules (k8s/components/monitoring) need and no request path measures: whether
/// each dependency answers (the readiness checks, as a gauge), the age of the oldest decision the oracle has not seen
/// settled (its audit table), the contract's insurance balance and bad debt, and every 2 minutes each served model
/// set's coverage on the market's recent candles (<see cref="ModelCoverage"/>). A value it could not read is not
/// reported, so a stale number never stands in for an unknown one; the dependency gauge says why.
/// </summary>
internal sealed partial class OperationsSampler : BackgroundService
{
    /// <summary>Its meter: one per sampler, so that two hosts in one process (tests) do not report each other's values.</summary>
    public const string MeterName = EngineTelemetry.Name + ".Operations";

    private static readonly TimeSpan Every = TimeSpan.FromSeconds(15);

    private readonly HealthCheckService _health;
    private readonly IServiceProvider _services;
    private readonly string? _postgres;
    private readonly ILogger<OperationsSampler> _logger;
    private readonly Meter _meter = new(MeterName);
    private volatile IReadOnlyList<Measurement<int>> _up = [];
    private volatile Reading? _backlogAge;
    private volatile Reading? _insurance;
    private volatile Reading? _badDebt;
    private volatile IReadOnlyList<Measurement<double>> _coverage = [];
    private volatile IReadOnlyList<Measurement<double>> _coverageTarget = [];
    private readonly IGrainFactory _grains;
    private int _samples;

    public OperationsSampler(HealthCheckService health, IServiceProvider services, IGrainFactory grains, IConfiguration configuration, ILogger<OperationsSampler> logger)
    {
        _grains = grains;
        _health = health;
        _services = services;
        _postgres = configuration.GetConnectionString("Postgres");
        _logger = logger;
        var meter = _meter;
        meter.CreateObservableGauge("aml.dependency.up", () => _up, description: "1 while the dependency (tag dependency: postgres, chain) passes its readiness check, else 0");
        meter.CreateObservableGauge("aml.oracle.backlog.age", () => Observe(_backlogAge), "s", "age of the oldest decision signed but not yet settled on-chain (0 when none)");
        meter.CreateObservableGauge("aml.insurance.balance", () => Observe(_insurance), description: "MarginManager insuranceBalance(), 1e-6 USDC");
        meter.CreateObservableGauge("aml.bad_debt", () => Observe(_badDebt), description: "MarginManager totalBadDebt(), 1e-6 USDC");
        meter.CreateObservableGauge("aml.model.coverage", () => _coverage, description: "share of the market's recent 24 h excursions inside the served model's leverage quantile, by asset");
        meter.CreateObservableGauge("aml.model.coverage.target", () => _coverageTarget, description: "the coverage the served model set was calibrated for, by asset");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every);
        do
        {
            await SampleAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override void Dispose()
    {
        _meter.Dispose();
        base.Dispose();
    }

    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        var report = await _health.CheckHealthAsync(cancellationToken);
        _up = report.Entries
            .Select(e => new Measurement<int>(e.Value.Status == HealthStatus.Healthy ? 1 : 0, new KeyValuePair<string, object?>("dependency", e.Key)))
            .ToList();

        _backlogAge = await ReadAsync("oracle backlog", async () =>
        {
            if (string.IsNullOrEmpty(_postgres))
            {
                return null; // memory storage: there is no audit table to read
            }

            await using var connection = new NpgsqlConnection(_postgres);
            await connection.OpenAsync(cancellationToken);
            return await OracleBacklog.OldestAgeSecondsAsync(connection, cancellationToken);
        });

        var chain = _services.GetService<ChainContext>();
        _insurance = chain is null ? null : await ReadAsync("insurance balance", () => ViewAsync(chain, "insuranceBalance", cancellationToken));
        _badDebt = chain is null ? null : await ReadAsync("bad debt", () => ViewAsync(chain, "totalBadDebt", cancellationToken));
        if (chain is not null && _samples++ % 8 == 0)
        {
            await SampleCoverageAsync(chain.Deployment.Catalog().Keys);
        }
    }

    private async Task SampleCoverageAsync(IEnumerable<string> assets)
    {
        try
        {
            var measured = await ModelCoverage.MeasureAsync(_grains, assets, _services.GetService<Grains.Storage.ModelStoreTable>());
            _coverage = measured.Select(m => new Measurement<double>(m.Value.Coverage, new KeyValuePair<string, object?>("asset", m.Key))).ToList();
            _coverageTarget = measured.Select(m => new Measurement<double>(m.Value.Target, new KeyValuePair<string, object?>("asset", m.Key))).ToList();
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or InvalidOperationException or OrleansException)
        {
            LogUnreadable(_logger, "model coverage", ex.Message);
            _coverage = _coverageTarget = [];
        }
    }

    private static async Task<double?> ViewAsync(ChainContext chain, string function, CancellationToken cancellationToken)
    {
        var abi = chain.Abi.Function(function);
        var output = await chain.Rpc.CallAsync(new CallRequest(chain.Contract.Contract, abi.EncodeCall()), cancellationToken: cancellationToken);
        return (double)(BigInteger)abi.DecodeOutput(output)[0]; // a gauge is a double: exact below 2^53 units (9e9 USDC)
    }

    private async Task<Reading?> ReadAsync(string what, Func<Task<double?>> read)
    {
        try
        {
            return await read() is { } value ? new Reading(value) : null;
        }
        catch (Exception ex) when (ex is NpgsqlException or HttpRequestException or TimeoutException or JsonRpcException or TaskCanceledException)
        {
            LogUnreadable(_logger, what, ex.Message);
            return null;
        }
    }

    private static IEnumerable<Measurement<double>> Observe(Reading? reading) =>
        reading is null ? [] : [new Measurement<double>(reading.Value)];

    [LoggerMessage(Level = LogLevel.Debug, Message = "operations sample: {What} unreadable ({Reason}); not reported")]
    private static partial void LogUnreadable(ILogger logger, string what, string reason);

    /// <summary>A boxed sample, so a volatile field can hold "none".</summary>
    private sealed record Reading(double Value);
}
