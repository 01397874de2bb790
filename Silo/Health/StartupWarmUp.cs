using System.Diagnostics;
using System.Text;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Chain;
using IRiskEngineGrain = Aml.Orleans.Grains.Interfaces.IRiskEngineGrain;
using RiskRequest = Aml.Orleans.Grains.Interfaces.RiskRequest;
using IQuoteGrain = Aml.Orleans.Grains.Interfaces.IQuoteGrain;
using QuoteRequest = Aml.Orleans.Grains.Interfaces.QuoteRequest;
using TraderProfile = Aml.Orleans.Grains.Interfaces.TraderProfile;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Grains.Risk;
using Aml.Orleans.Risk;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Aml.Orleans.Silo.Health;

/// <summary>
/// Once the silo is up, runs each hot path once — a quorum over a dummy digest with the oracle's keys, an ABI encode
/// of a decision, an explanation and a batch scoring per model set under <see cref="RiskOptions.ModelsRoot"/>, and one
/// assessment per listed market through this silo's risk engine worker (its set loaded) — so the first liquidation and
/// the first quote do not pay the JIT (a third of the CPU on them before) or the model load. Readiness waits for it.
/// </summary>
internal sealed partial class StartupWarmUp(
    IServiceProvider services,
    IHostApplicationLifetime lifetime,
    IOptions<RiskOptions> risk,
    IOptions<MarketCatalogOptions> catalog,
    ILogger<StartupWarmUp> logger)
    : BackgroundService, IHealthCheck
{
    private readonly TaskCompletionSource<string> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_done.Task.Status switch
        {
            TaskStatus.RanToCompletion => HealthCheckResult.Healthy(_done.Task.Result),
            TaskStatus.Faulted => HealthCheckResult.Unhealthy($"the warm-up failed: {_done.Task.Exception!.InnerException!.Message}"),
            _ => HealthCheckResult.Unhealthy("warming up"),
        });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // ApplicationStarted fires once every hosted service, the silo's included, has started.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        var clock = Stopwatch.StartNew();
        try
        {
            var signed = await QuorumAndEncodeAsync(stoppingToken);
            var sets = ScoreModelSets();
            var (markets, priced) = await ServeListedMarketsAsync(stoppingToken);
            var quoted = await QuoteListedMarketsAsync(stoppingToken);
            var summary = $"warm-up done in {clock.ElapsedMilliseconds} ms: {(signed ? "one quorum and one decision encode" : "no chain or too few keys here, no quorum")}, {sets} model set(s) explained and batch-scored, " +
                          $"{markets} listed market(s) through this silo's risk engine ({priced} priced, the rest without a set or features yet), " +
                          $"{quoted} quotes through the quote grain and the gateway's token seal";
            LogDone(summary);
            _done.TrySetResult(summary);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(ex, clock.ElapsedMilliseconds);
            _done.TrySetException(ex);
        }
    }

    private async Task<bool> QuorumAndEncodeAsync(CancellationToken cancellationToken)
    {
        // A node holding fewer keys than a quorum (it does not sign) has no quorum path to warm.
        if (services.GetService<ChainContext>() is not { } chain || chain.Keys.Count < chain.Deployment.Threshold)
        {
            return false;
        }

        var digest = Keccak.Hash(Encoding.UTF8.GetBytes("aml warm-up"));
        var quorum = await QuorumBuilder.SignAsync(chain.OnChainSigners, chain.Keys, chain.Deployment.Threshold, digest, cancellationToken);
        var zero = Bytes32.Zero;
        var decision = new RiskDecision(DecisionKind.Open, zero, zero, chain.OnChainSigners[0], true, 1, 1, 100, 50, 10_000, 0, 1, 0, 0, 0, zero, zero);
        MarginManagerAbi.EncodeApplyDecision(decision, quorum);
        return true;
    }

    private int ScoreModelSets()
    {
        var root = risk.Value.ModelsRoot;
        if (!Directory.Exists(root))
        {
            return 0;
        }

        var sets = 0;
        var bounds = new MarketBounds(100, 5_000, 50, 2_500, 100);
        foreach (var directory in Directory.EnumerateDirectories(root).Where(d => File.Exists(Path.Combine(d, "model.json"))))
        {
            using var engine = new RiskEngine(RiskModelSet.Load(directory));
            // Absent features (NaN) are valid input and walk the missing-flag branches too.
            var input = new RiskInput([.. Enumerable.Repeat(float.NaN, FeatureWindow.MarketFeatureNames.Count)], true, 2, 0.0001, TraderFeatures.Newcomer);
            engine.Explain(input, 5);
            engine.AssessBatch([input, input with { IsLong = false }], bounds);
            sets++;
        }

        return sets;
    }

    // One assessment per listed market through its engine worker on this silo: the risk grain loads and publishes
    // its set, and this silo's engine loads it by hash, before the first quote instead of during it. A market without
    // a set or without features yet answers with a refusal, which warms the same path. Best effort: a market whose
    // grains cannot answer yet (its database down) leaves its first quote to load it, and readiness to the other checks.
    private async Task<(int Markets, int Priced)> ServeListedMarketsAsync(CancellationToken cancellationToken)
    {
        var grains = services.GetRequiredService<IGrainFactory>();
        var newcomer = new TraderProfile("0x0000000000000000000000000000000000000000", 0, 0, 0.05, 0, 0, 0, 0);
        var (markets, priced) = (0, 0);
        foreach (var asset in catalog.Value.Markets.Keys)
        {
            try
            {
                var result = await grains.GetGrain<IRiskEngineGrain>(asset).AssessAsync(new RiskRequest(true, 1_000_000, 200, newcomer, Explain: true))
                    .WaitAsync(cancellationToken);
                (markets, priced) = (markets + 1, priced + (result.Assessment is null ? 0 : 1));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogMarketNotWarmed(asset, ex.Message);
            }
        }

        return (markets, priced);
    }

    /// <summary>
    /// Quotes per listed market at start, through the quote grain as the gateway calls it: more than the runtime's
    /// call count for promoting a method to optimized code (30), so the quote path is compiled before the first trader's
    /// quote instead of while the first few hundred run (a fifth of the CPU then went to the JIT).
    /// </summary>
    internal const int QuotesPerMarket = 64;

    // Each listed market's quote path as a trader's quote runs it (profile, engine worker with its explanation, decision,
    // digest, the gateway's quote token), QuotesPerMarket times, in a few waves in flight at once like the gateway's
    // clients; a market that refuses (no set or features yet) warms the path up to its refusal. Best effort, as above.
    private async Task<int> QuoteListedMarketsAsync(CancellationToken cancellationToken)
    {
        var grains = services.GetRequiredService<IGrainFactory>();
        var seal = services.GetService<Auth.QuoteSeal>();
        var quoted = 0;
        foreach (var asset in catalog.Value.Markets.Keys)
        {
            try
            {
                for (var wave = 0; wave < QuotesPerMarket / QuotesInFlight; wave++)
                {
                    var results = await Task.WhenAll(Enumerable.Range(0, QuotesInFlight).Select(i => grains.GetGrain<IQuoteGrain>(0).QuoteAsync(
                        Hex.Encode(Keccak.Hash(Encoding.UTF8.GetBytes($"aml warm-up quote {asset} {wave} {i}"))),
                        new QuoteRequest(WarmUpTrader, asset, i % 2 == 0, 100_000_000, 200)))).WaitAsync(cancellationToken);
                    foreach (var result in results)
                    {
                        if (result is { Accepted: true, Digest: { } digest })
                        {
                            seal?.Seal(digest, result.Inputs);
                        }
                    }

                    quoted += results.Length;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogMarketNotWarmed(asset, ex.Message);
            }
        }

        return quoted;
    }

    private const int QuotesInFlight = 8;
    private const string WarmUpTrader = "0x000000000000000000000000000000000000dEaD";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo warm-up: the risk engine of {Asset} did not answer ({Reason}); its first quote loads it")]
    private partial void LogMarketNotWarmed(string asset, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {Summary}")]
    private partial void LogDone(string summary);

    [LoggerMessage(Level = LogLevel.Error, Message = "Silo warm-up failed after {Milliseconds} ms; /health/ready stays unready")]
    private partial void LogFailed(Exception error, long milliseconds);
}
