using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Grains.Telemetry;
using Aml.Orleans.Risk;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aml.Orleans.Grains.Risk;

/// <summary>Which model set a risk grain serves, so a promoted model survives re-activation.</summary>
[GenerateSerializer, Alias("aml.RiskState")]
public sealed class RiskState
{
    [Id(0)] public string? ModelDirectory { get; set; }
    [Id(1)] public long Assessments { get; set; }
}

/// <summary>
/// One asset's risk models. Assessments read the market's features at the latest closed candle and the trader's
/// profile, run the FastTree set, and clamp to the market's on-chain bounds; the answer carries the model hash and
/// the features hash, so anyone with the model files can recompute it. A promoted set replaces the served one
/// without a restart, and only once the contract's registry allows its hash.
/// </summary>
internal sealed partial class RiskGrain(
    [PersistentState("risk", "aml")] IPersistentState<RiskState> state,
    IOptions<RiskOptions> options,
    IOptions<MarketCatalogOptions> catalog,
    IEnumerable<IModelRegistry> registries,
    TimeProvider clock,
    ILogger<RiskGrain> logger) : Grain, IRiskGrain
{
    private RiskEngine? _engine;
    private RiskModelSet? _models;
    private DateTimeOffset _loadedAt;

    private string Asset => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _engine?.Dispose();
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<RiskAssessment> AssessAsync(RiskRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var activity = EngineTelemetry.Source.StartActivity("aml.risk.assess");
        activity?.SetTag("aml.asset", Asset);
        var engine = Engine();
        var features = await FeaturesAsync();
        var input = Input(features, request);
        var output = engine.Assess(input, Bounds());
        FeatureContribution[] explanation = request.Explain
            ? [.. engine.Explain(input, options.Value.ExplainTop).Select(c => new FeatureContribution(c.Model, c.Feature, c.Value, c.Amount))]
            : [];
        state.State.Assessments++;
        return Assessment(output, features, new RiskExplanation(explanation));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RiskAssessment>> AssessBatchAsync(IReadOnlyList<RiskRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        using var activity = EngineTelemetry.Source.StartActivity("aml.risk.assess_batch");
        activity?.SetTag("aml.asset", Asset);
        activity?.SetTag("aml.batch", requests.Count);
        var engine = Engine();
        var features = await FeaturesAsync();
        var inputs = requests.Select(r => Input(features, r)).ToArray();
        var outputs = engine.AssessBatch(inputs, Bounds());
        state.State.Assessments += outputs.Length;
        var none = new RiskExplanation([]);
        return outputs.Select(o => Assessment(o, features, none)).ToArray();
    }

    private async Task<MarketFeatures> FeaturesAsync() =>
        await GrainFactory.GetGrain<IMarketGrain>(Asset).GetFeaturesAsync()
        ?? throw new InvalidOperationException($"{Asset}: the market has not seen {FeatureWindow.WarmUp} closed candles yet, so there are no features to assess");

    private MarketBounds Bounds()
    {
        var terms = catalog.Value.For(Asset);
        return new MarketBounds(100, terms.MaxLeverageX100, terms.MinMaintenanceMarginBps, terms.MaxMaintenanceMarginBps, terms.LiquidationPenaltyBps);
    }

    private static RiskInput Input(MarketFeatures features, RiskRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var notionalUsd = Units.UsdcOf(request.Collateral) * Units.Leverage(request.RequestedLeverageX100);
        var profile = request.Trader;
        return new RiskInput(
            [.. features.Values], request.IsLong, Units.Leverage(request.RequestedLeverageX100), notionalUsd / Math.Max(features.QuoteVolume24h, 1),
            new TraderFeatures(profile.PositionsOpened, profile.SmoothedLiquidationRate, profile.MeanLeverage, profile.MeanHoldingHours,
                profile.RecentPnl / (double)Math.Max(request.Collateral, 1), profile.ActivityPerDay));
    }

    private static RiskAssessment Assessment(RiskOutput output, MarketFeatures features, RiskExplanation explanation) => new(
        output.MaxLeverageX100, output.MaintenanceMarginBps, output.RiskScoreBps, output.ModelHash, output.FeaturesHash,
        features.LastPriceE8, features.LastTickAt == default ? features.AsOf : features.LastTickAt, explanation);

    /// <inheritdoc />
    public async Task<ModelStatus> UseModelAsync(string modelDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelDirectory);
        var models = RiskModelSet.Load(modelDirectory);
        if (!models.Manifest.Prices(Asset))
        {
            throw new ArgumentException($"{modelDirectory} holds a per-asset model set for {models.Manifest.Asset}, not {Asset}", nameof(modelDirectory));
        }

        foreach (var registry in registries)
        {
            if (!await registry.IsAllowedAsync(models.ModelHash))
            {
                throw new InvalidOperationException($"model {models.ModelHash} is not registered on-chain: register it (setModel) before serving it");
            }
        }

        Serve(models, modelDirectory);
        state.State.ModelDirectory = modelDirectory;
        await state.WriteStateAsync();
        LogPromoted(Asset, models.ModelHash, modelDirectory);
        return await GetModelAsync();
    }

    /// <inheritdoc />
    public Task<ModelStatus> GetModelAsync()
    {
        Engine();
        return Task.FromResult(new ModelStatus(Asset, _models!.ModelHash, CurrentDirectory, _loadedAt, state.State.Assessments));
    }

    private string CurrentDirectory => state.State.ModelDirectory ?? Path.Combine(options.Value.ModelsRoot, Asset);

    private RiskEngine Engine()
    {
        if (_engine is null)
        {
            Serve(RiskModelSet.Load(CurrentDirectory), CurrentDirectory);
        }

        return _engine!;
    }

    private void Serve(RiskModelSet models, string directory)
    {
        var previous = _engine;
        _models = models;
        _engine = new RiskEngine(models);
        _loadedAt = clock.GetUtcNow();
        previous?.Dispose();
        EngineTelemetry.ServingModel(Asset, models.ModelHash);
        LogServing(Asset, models.ModelHash, directory);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Risk {Asset} serves model {ModelHash} from {Directory}")]
    private partial void LogServing(string asset, string modelHash, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Risk {Asset} promoted model {ModelHash} ({Directory})")]
    private partial void LogPromoted(string asset, string modelHash, string directory);
}
