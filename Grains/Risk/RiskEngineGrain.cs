using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Grains.Telemetry;
using Aml.Orleans.Risk;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Aml.Orleans.Grains.Risk;

/// <summary>
/// The risk engine as a stateless worker: as many activations per silo as quotes and sweeps keep busy, none of them
/// queued behind another. Each assessment asks the asset's risk grain what it serves (a read that interleaves) and the
/// market its latest price, side by side, and scores with this silo's engine for that set, each side within the bounds
/// the drift watch leaves it (the market's, or the conservative fallback's inside them). Reentrant, as it holds nothing
/// per call: assessments waiting on those reads do not hold up the others.
/// </summary>
[StatelessWorker]
[Reentrant]
internal sealed class RiskEngineGrain(ServedEngines engines, IOptions<RiskOptions> options, IOptions<MarketCatalogOptions> catalog) : Grain, IRiskEngineGrain
{
    private string Asset => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public async Task<RiskResult> AssessAsync(RiskRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var activity = EngineTelemetry.Source.StartActivity("aml.risk.assess");
        activity?.SetTag("aml.asset", Asset);
        var (engine, features, fallback, latest, refusal) = await ServingAsync();
        if (refusal is not null)
        {
            return RiskResult.Refused(refusal);
        }

        var input = RiskPricing.Input(features!, request);
        var bounds = RiskPricing.Bounds(RiskPricing.Bounds(catalog.Value.For(Asset)), fallback, input.IsLong, input.MarketFeatures);
        // The compiled trees (bit-identical to ML.NET's prediction engines, which the engine keeps as its reference
        // path) at a fraction of the cost: a batch of one.
        var output = engine!.AssessBatch([input], bounds)[0];
        FeatureContribution[] explanation = request.Explain
            ? [.. engine.Explain(input, options.Value.ExplainTop).Select(c => new FeatureContribution(c.Model, c.Feature, c.Value, c.Amount))]
            : [];
        engines.Count(Asset, 1);
        return RiskResult.Priced(RiskPricing.Assessment(output, features!, latest, new RiskExplanation(explanation), RiskPricing.Inputs(input, bounds, output)));
    }

    /// <inheritdoc />
    public async Task<RiskBatchResult> AssessBatchAsync(IReadOnlyList<RiskRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        using var activity = EngineTelemetry.Source.StartActivity("aml.risk.assess_batch");
        activity?.SetTag("aml.asset", Asset);
        activity?.SetTag("aml.batch", requests.Count);
        var (engine, features, fallback, latest, refusal) = await ServingAsync();
        if (refusal is not null)
        {
            return RiskBatchResult.Refused(refusal);
        }

        var inputs = requests.Select(r => RiskPricing.Input(features!, r)).ToArray();
        var outputs = RiskPricing.AssessBatch(engine!, inputs, RiskPricing.Bounds(catalog.Value.For(Asset)), fallback);
        engines.Count(Asset, outputs.Length);
        var none = new RiskExplanation([]);
        return RiskBatchResult.Priced([.. outputs.Select(o => RiskPricing.Assessment(o, features!, latest, none, null))]);
    }

    // The served set, features and drift fallback, and the market's latest price: both reads interleave in their grains,
    // so neither waits behind assessments; the engine is this silo's for the set (loaded once per hash). The fallback is
    // read with every assessment, so a side the drift watch moves is priced by its new bounds from the next call on.
    private async Task<(RiskEngine? Engine, MarketFeatures? Features, RiskFallback Fallback, (long PriceE8, DateTimeOffset At) Latest, string? Refusal)> ServingAsync()
    {
        var servingCall = GrainFactory.GetGrain<IRiskGrain>(Asset).GetServingAsync();
        var priceCall = GrainFactory.GetGrain<IMarketGrain>(Asset).GetPriceAsync();
        var serving = await servingCall;
        var latest = await priceCall;
        if (serving.ModelHash is not { } hash)
        {
            return (null, null, serving.Fallback, latest, serving.Refusal ?? $"{Asset}: no model set is served");
        }

        // Loaded even while the market has no features yet: the first quote after them does not pay for the load.
        var engine = engines.TryGet(Asset, hash);
        string? loadRefusal = null;
        if (engine is null)
        {
            (engine, loadRefusal) = await engines.GetAsync(Asset, hash, serving.ModelDirectory);
        }

        var refusal = loadRefusal is not null ? $"{Asset}: model {hash} cannot be loaded: {loadRefusal}"
            : serving.Features is null ? serving.Refusal ?? $"{Asset}: the market has no features yet"
            : null;
        return (engine, serving.Features, serving.Fallback, latest, refusal);
    }
}
