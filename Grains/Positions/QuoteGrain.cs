using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Grains.Telemetry;
using Aml.Orleans.Grains.Traders;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Aml.Orleans.Grains.Positions;

/// <summary>
/// Prices an OPEN without state: the trader's profile (read at most <see cref="PositionOptions.QuoteProfileMaxAge"/>
/// ago) through the asset's risk engine worker, the decision the trader signs, its digest computed here (it is pure
/// EIP-712 hashing under the deployment's domain). Nothing is written, no position is activated, no call queues behind
/// another quote: the decision and its inputs travel back to the gateway with the quote, and
/// <see cref="IPositionGrain.OpenAsync"/> takes them from there. Reentrant: it holds nothing per call, and a stateless
/// worker that is not takes one request at a time per activation (at most one activation per core), so quotes queued
/// behind each other's grain calls.
/// </summary>
[StatelessWorker]
[Reentrant]
internal sealed class QuoteGrain(
    IOptions<PositionOptions> options,
    IOptions<MarketCatalogOptions> catalog,
    IEnumerable<ChainContext> chains,
    TraderProfileCache profiles,
    TimeProvider clock) : Grain, IQuoteGrain
{
    private readonly DecisionFactory _decisions = new(catalog.Value, options.Value, clock);
    private readonly ChainContext? _chain = chains.FirstOrDefault();

    /// <inheritdoc />
    public async Task<QuoteResult> QuoteAsync(string positionId, QuoteRequest request)
    {
        using var activity = EngineTelemetry.Source.StartActivity("aml.position.quote");
        activity?.SetTag("aml.position_id", positionId);
        ArgumentNullException.ThrowIfNull(request);
        if (Violation(request) is { } violation)
        {
            return Refused(violation);
        }

        if (_chain is null)
        {
            return Refused("this silo is not connected to a chain: there is no contract to sign a decision for");
        }

        var profile = await profiles.GetAsync(GrainFactory, request.Trader, options.Value.QuoteProfileMaxAge);
        var priced = await GrainFactory.GetGrain<IRiskEngineGrain>(request.Asset).AssessAsync(
            new RiskRequest(request.IsLong, request.Collateral, request.RequestedLeverageX100, profile, Explain: true));
        if (priced.Assessment is not { } assessment)
        {
            return Refused($"the risk engine cannot price {request.Asset} now: {priced.Refusal}");
        }

        var grantedX100 = Math.Min(request.RequestedLeverageX100, assessment.MaxLeverageX100);
        long size;
        try
        {
            size = MarginMath.Size(request.Collateral, grantedX100);
        }
        catch (OverflowException)
        {
            return Refused($"collateral {request.Collateral} at {Units.Leverage(grantedX100):0.##}x is a size beyond 64 bits");
        }

        var decision = _decisions.Open(positionId, request, size, assessment);
        var digest = _chain.DigestOf(decision);
        var capped = grantedX100 < request.RequestedLeverageX100
            ? $"leverage capped at {Units.Leverage(grantedX100):0.##}x by the risk model (asked {Units.Leverage(request.RequestedLeverageX100):0.##}x)"
            : null;
        return new QuoteResult(true, capped, decision, digest, assessment.Explanation, assessment.Inputs);
    }

    private string? Violation(QuoteRequest request)
    {
        if (!IsAddress(request.Trader))
        {
            return $"trader '{request.Trader}' is not an address";
        }

        if (!catalog.Value.Markets.TryGetValue(request.Asset, out var terms))
        {
            return $"asset '{request.Asset}' is not listed";
        }

        if (request.Collateral <= 0)
        {
            return "collateral must be positive";
        }

        return request.RequestedLeverageX100 < Units.LeverageScale || request.RequestedLeverageX100 > terms.MaxLeverageX100
            ? $"requestedLeverage {request.RequestedLeverageX100} outside {Units.LeverageScale}..{terms.MaxLeverageX100} (X100)"
            : null;
    }

    private static bool IsAddress(string text)
    {
        try
        {
            _ = Ethereum.Address.Parse(text);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            return false;
        }
    }

    private static QuoteResult Refused(string reason) => new(false, reason, null, null, null);
}
