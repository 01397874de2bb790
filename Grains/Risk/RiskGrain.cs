using Aml.Orleans.Grains.Interfaces;
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
/// One asset's risk models: which set is served and its promotion, the market's features at the latest closed
/// candle (fed by the market), and the learning loop's part (<c>RiskGrain.Learning.cs</c>): a side whose live coverage
/// has drifted is priced within the conservative fallback's bounds (the flags travel to the workers in
/// <see cref="RiskServing"/>), and a challenger may score every decision in shadow. The pricing itself is
/// <see cref="RiskEngineGrain"/>'s, a stateless worker on every silo that asks this grain what to price with; every
/// answer carries the model hash and the features hash, so anyone with the model files can recompute it. A promoted set
/// replaces the served one without a restart, and only once the contract's registry allows its hash. With a model store
/// (PostgreSQL), the served set is named by its hash and loaded from the store, so every silo serves the same bytes; a
/// set first read from the local folder (a fresh cluster, a promoted directory) is published to the store as it is served.
/// </summary>
internal sealed partial class RiskGrain(
    [PersistentState("risk", "aml")] IPersistentState<RiskState> state,
    IOptions<RiskOptions> options,
    IEnumerable<IModelRegistry> registries,
    IEnumerable<ModelStoreTable> stores,
    IEnumerable<ModelCards> cards,
    IEnumerable<Outcomes.OutcomeStoreTable> outcomes,
    IEnumerable<Outcomes.ShadowStoreTable> shadows,
    ServedEngines engines,
    TimeProvider clock,
    ILogger<RiskGrain> logger) : Grain, IRiskGrain
{
    private readonly DriftWatch _drift = new(options.Value, 1 - new RiskEngineOptions().LeverageAlpha);
    private ShadowScorer? _shadow;
    private RiskModelSet? _models;
    private DateTimeOffset _loadedAt;
    private string _servedFrom = "";
    private MarketFeatures? _features;
    private RiskServing? _serving;
    private Task<string?>? _loading;

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
        _shadow?.Dispose();
        EngineTelemetry.DriftGone(_drift); // the next activation, on whichever silo, reports it
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Answered from memory once the set is loaded and the features are in (the market feeds each candle close): one
    /// immutable record for every worker until the set, the features or the drift watch's fallback flags change.
    /// Nothing to serve is a refusal naming what is missing.
    /// </remarks>
    public async Task<RiskServing> GetServingAsync()
    {
        if (_serving is { } serving)
        {
            return serving;
        }

        if (await ModelsAsync() is { } refusal)
        {
            return new RiskServing(null, null, null, refusal, _drift.Fallback); // not kept: a set trained into the folder is served at the next ask
        }

        _features ??= await GrainFactory.GetGrain<IMarketGrain>(Asset).GetFeaturesAsync();
        if (_features is null)
        {
            return new RiskServing(_models!.ModelHash, null, null,
                $"{Asset}: the market has not seen {FeatureWindow.WarmUp} closed candles yet, so there are no features to assess", _drift.Fallback);
        }

        return _serving = new RiskServing(_models!.ModelHash, state.State.ModelDirectory ?? CurrentDirectoryIfNoStore, _features, null, _drift.Fallback);
    }

    /// <inheritdoc />
    public Task OnCandleClosedAsync(MarketFeatures features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (_features is null || features.AsOf >= _features.AsOf)
        {
            _features = features;
            _serving = null;
        }

        return Task.CompletedTask;
    }

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
    /// <remarks>Its count of assessments is this silo's: each silo's engine workers count their own.</remarks>
    public async Task<ModelStatus> GetModelAsync()
    {
        var models = await ServedModelsAsync();
        return new ModelStatus(Asset, models.ModelHash, _servedFrom, _loadedAt, engines.Assessments(Asset));
    }

    // The served set for an operator's or the learning loop's call: one that does not exist is an error there (the
    // trainer tells this case apart), where the workers get it as a refusal.
    private async Task<RiskModelSet> ServedModelsAsync() =>
        await ModelsAsync() is { } refusal ? throw new FileNotFoundException(refusal) : _models!;

    private string CurrentDirectory => state.State.ModelDirectory ?? Path.Combine(options.Value.ModelsRoot, Asset);

    // Where a worker on another silo reads the set when there is no store to load it by hash from.
    private string? CurrentDirectoryIfNoStore => stores.Any() ? null : CurrentDirectory;

    private static string StoreSource(string modelHash) => $"model store {modelHash}";

    // The set this grain serves, loaded once: reads interleave, so the first ones share one load. Null once it is
    // loaded; else why it cannot be (asked again next time: a set may have been trained into the folder meanwhile).
    private async ValueTask<string?> ModelsAsync()
    {
        if (_models is not null)
        {
            return null;
        }

        var loading = _loading ??= LoadModelsAsync();
        var refusal = await loading;
        if (refusal is not null && _loading == loading)
        {
            _loading = null;
        }

        return refusal;
    }

    // By hash from the store when it has one and knows the hash; else from the folder, publishing it so that the next
    // activation, on any silo, finds it by hash.
    private async Task<string?> LoadModelsAsync()
    {
        var store = stores.FirstOrDefault();
        if (store is not null && state.State.ModelHash is { } hash && await store.LoadAsync(hash) is { } stored)
        {
            Serve(stored, StoreSource(hash));
            return null;
        }

        RiskModelSet models;
        try
        {
            models = RiskModelSet.Load(CurrentDirectory);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or InvalidDataException)
        {
            // The boundary with the file system: a missing or unreadable set becomes the refusal the workers pass on.
            return $"{Asset}: {ex.Message}";
        }

        await PublishAsync(models);
        Serve(models, CurrentDirectory);
        await RecordServingAsync(models.ModelHash);
        return null;
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
        _models = models;
        _servedFrom = source;
        _serving = null;
        _loadedAt = clock.GetUtcNow();
        engines.Offer(Asset, models); // the workers on this silo score with it without loading it again
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
