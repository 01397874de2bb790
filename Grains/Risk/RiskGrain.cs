using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Grains.Storage;
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

    /// <summary>The served set's hash: with a model store, re-activation (on any silo) loads it by this hash.</summary>
    [Id(2)] public string? ModelHash { get; set; }

    /// <summary>The challenger in shadow (a set in the model store), and from when (database time) it scores decisions.</summary>
    [Id(3)] public string? ShadowHash { get; set; }

    [Id(4)] public DateTimeOffset ShadowSince { get; set; }

    /// <summary>The drift watch's flags: the side is priced by the conservative fallback.</summary>
    [Id(5)] public bool LongFallback { get; set; }

    [Id(6)] public bool ShortFallback { get; set; }
}

/// <summary>
/// One asset's risk models. Assessments read the market's features at the latest closed candle and the trader's
/// profile, run the FastTree set, and clamp to the market's on-chain bounds; the answer carries the model hash and
/// the features hash, so anyone with the model files can recompute it. A promoted set replaces the served one
/// without a restart, and only once the contract's registry allows its hash. With a model store (PostgreSQL), the
/// served set is named by its hash and loaded from the store, so every silo serves the same bytes; a set first read
/// from the local folder (a fresh cluster, a promoted directory) is published to the store as it is served. A side whose
/// live coverage has drifted is priced within the conservative fallback's bounds, and a challenger may score every
/// decision in shadow (both owned here, <c>RiskGrain.Learning.cs</c>).
/// </summary>
internal sealed partial class RiskGrain(
    [PersistentState("risk", "aml")] IPersistentState<RiskState> state,
    IOptions<RiskOptions> options,
    IOptions<MarketCatalogOptions> catalog,
    IEnumerable<IModelRegistry> registries,
    IEnumerable<ModelStoreTable> stores,
    IEnumerable<ModelCards> cards,
    IEnumerable<Outcomes.OutcomeStoreTable> outcomes,
    IEnumerable<Outcomes.ShadowStoreTable> shadows,
    TimeProvider clock,
    ILogger<RiskGrain> logger) : Grain, IRiskGrain
{
    private readonly DriftWatch _drift = new(options.Value, 1 - new RiskEngineOptions().LeverageAlpha);
    private ShadowScorer? _shadow;
    private RiskEngine? _engine;
    private RiskModelSet? _models;
    private DateTimeOffset _loadedAt;
    private string _servedFrom = "";
    private readonly Dictionary<string, DecisionInputs> _recent = new(StringComparer.Ordinal);
    private readonly Queue<string> _recentOrder = new();

    private string Asset => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _drift.Restore(state.State.LongFallback, state.State.ShortFallback);
        EngineTelemetry.Drift(_drift, _drift.Status(Asset, state.State.ModelHash ?? ""));
        return base.OnActivateAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _engine?.Dispose();
        _shadow?.Dispose();
        EngineTelemetry.DriftGone(_drift); // the next activation, on whichever silo, reports it
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<RiskAssessment> AssessAsync(RiskRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var activity = EngineTelemetry.Source.StartActivity("aml.risk.assess");
        activity?.SetTag("aml.asset", Asset);
        var engine = await EngineAsync();
        var features = await FeaturesAsync();
        var input = Input(features, request);
        var bounds = _drift.Bounds(input.IsLong, Bounds(), input.MarketFeatures);
        var output = engine.Assess(input, bounds);
        Remember(input, bounds, output);
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
        var engine = await EngineAsync();
        var features = await FeaturesAsync();
        var inputs = requests.Select(r => Input(features, r)).ToArray();
        var outputs = _drift.AssessBatch(engine, inputs, Bounds());
        state.State.Assessments += outputs.Length;
        var none = new RiskExplanation([]);
        return outputs.Select(o => Assessment(o, features, none)).ToArray();
    }

    /// <inheritdoc />
    public Task<DecisionInputs?> RecallInputsAsync(string featuresHash) =>
        Task.FromResult(_recent.TryGetValue(featuresHash, out var inputs) ? inputs : null);

    // A quote is stateless and the trader's open comes back later with the decision alone: the inputs wait here, newest
    // RecentInputs kept, until the position records its decision. The batch path keeps none: its answers are only
    // compared with the positions' terms, and an ADJUST comes from a single assessment.
    private void Remember(RiskInput input, MarketBounds bounds, RiskOutput output)
    {
        if (_recent.ContainsKey(output.FeaturesHash))
        {
            return;
        }

        var t = input.Trader;
        _recent[output.FeaturesHash] = new DecisionInputs(
            output.FeaturesHash, output.ModelHash, RiskEngine.FeatureBytes(input), input.MarketFeatures, input.IsLong, input.RequestedLeverage,
            input.NotionalToQuoteVolume, [t.PositionsOpened, t.SmoothedLiquidationRate, t.MeanLeverage, t.MeanHoldingHours, t.RecentPnlFraction, t.ActivityPerDay],
            [bounds.MinLeverageX100, bounds.MaxLeverageX100, bounds.MinMaintenanceBps, bounds.MaxMaintenanceBps, bounds.LiquidationFeeBps],
            output.LeverageAlpha, output.LeverageQuantile, output.MaxLeverageX100, output.MaintenanceMarginBps, output.RiskScoreBps);
        _recentOrder.Enqueue(output.FeaturesHash);
        while (_recentOrder.Count > Math.Max(1, options.Value.RecentInputs))
        {
            _recent.Remove(_recentOrder.Dequeue());
        }
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
        await CheckServableAsync(models, modelDirectory);
        await PublishAsync(models);
        return await PromoteAsync(models, modelDirectory);
    }

    /// <inheritdoc />
    public async Task<ModelStatus> UseStoredModelAsync(string modelHash)
    {
        ModelStoreTable.ParseHash(modelHash);
        var store = stores.FirstOrDefault() ?? throw new InvalidOperationException("modelHash: this silo has no model store (PostgreSQL) to load it from");
        var models = await store.LoadAsync(modelHash) ?? throw new ArgumentException($"modelHash: {modelHash} is not in the model store (publish it with ./aml train --publish)", nameof(modelHash));
        await CheckServableAsync(models, StoreSource(modelHash));
        return await PromoteAsync(models, null);
    }

    private async Task CheckServableAsync(RiskModelSet models, string source)
    {
        if (!models.Manifest.Prices(Asset))
        {
            throw new ArgumentException($"{source} holds a per-asset model set for {models.Manifest.Asset}, not {Asset}", nameof(source));
        }

        foreach (var registry in registries)
        {
            if (!await registry.IsAllowedAsync(models.ModelHash))
            {
                throw new InvalidOperationException($"model {models.ModelHash} is not registered on-chain: register it (setModel) before serving it");
            }
        }
    }

    private async Task<ModelStatus> PromoteAsync(RiskModelSet models, string? directory)
    {
        Serve(models, directory ?? StoreSource(models.ModelHash));
        await RecordServingAsync(models.ModelHash);
        state.State.ModelDirectory = directory;
        state.State.ModelHash = models.ModelHash;
        await state.WriteStateAsync();
        LogPromoted(Asset, models.ModelHash, directory ?? StoreSource(models.ModelHash));
        return await GetModelAsync();
    }

    /// <inheritdoc />
    public async Task<ModelStatus> GetModelAsync()
    {
        await EngineAsync();
        return new ModelStatus(Asset, _models!.ModelHash, _servedFrom, _loadedAt, state.State.Assessments);
    }

    private string CurrentDirectory => state.State.ModelDirectory ?? Path.Combine(options.Value.ModelsRoot, Asset);

    private static string StoreSource(string modelHash) => $"model store {modelHash}";

    // The set this grain serves: by hash from the store when it has one and knows the hash; else from the folder,
    // publishing it so that the next activation, on any silo, finds it by hash.
    private async ValueTask<RiskEngine> EngineAsync()
    {
        if (_engine is not null)
        {
            return _engine;
        }

        var store = stores.FirstOrDefault();
        if (store is not null && state.State.ModelHash is { } hash && await store.LoadAsync(hash) is { } stored)
        {
            Serve(stored, StoreSource(hash));
            return _engine!;
        }

        var models = RiskModelSet.Load(CurrentDirectory);
        await PublishAsync(models);
        Serve(models, CurrentDirectory);
        await RecordServingAsync(models.ModelHash);
        return _engine!;
    }

    private async Task PublishAsync(RiskModelSet models)
    {
        foreach (var store in stores)
        {
            if (await store.PublishAsync(models))
            {
                LogPublished(Asset, models.ModelHash);
            }
        }
    }

    // The model card counts live coverage from the first time the set served this asset.
    private async Task RecordServingAsync(string modelHash)
    {
        foreach (var card in cards)
        {
            await card.PromotedAsync(Asset, modelHash, clock.GetUtcNow());
        }
    }

    private void Serve(RiskModelSet models, string source)
    {
        var previous = _engine;
        _models = models;
        _servedFrom = source;
        _engine = new RiskEngine(models);
        _loadedAt = clock.GetUtcNow();
        previous?.Dispose();
        EngineTelemetry.ServingModel(Asset, models.ModelHash);
        LogServing(Asset, models.ModelHash, source);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Risk {Asset} published model {ModelHash} to the model store")]
    private partial void LogPublished(string asset, string modelHash);

    [LoggerMessage(Level = LogLevel.Information, Message = "Risk {Asset} serves model {ModelHash} from {Directory}")]
    private partial void LogServing(string asset, string modelHash, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Risk {Asset} promoted model {ModelHash} ({Directory})")]
    private partial void LogPromoted(string asset, string modelHash, string directory);
}
