using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Grains.Telemetry;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Aml.Orleans.Grains.Positions;

/// <summary>
/// Prices an OPEN without state: the trader's profile and the market's features through the asset's risk models, the
/// decision the trader signs, its digest. Nothing is written, no position is activated: the decision travels back to
/// the gateway with the quote, and <see cref="IPositionGrain.OpenAsync"/> takes it from there.
/// </summary>
[StatelessWorker]
internal sealed class QuoteGrain(IOptions<PositionOptions> options, IOptions<MarketCatalogOptions> catalog, TimeProvider clock) : Grain, IQuoteGrain
{
    private readonly DecisionFactory _decisions = new(catalog.Value, options.Value, clock);

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

        var profile = await GrainFactory.GetGrain<ITraderGrain>(request.Trader).GetProfileAsync();
        RiskAssessment assessment;
        try
        {
            assessment = await GrainFactory.GetGrain<IRiskGrain>(request.Asset).AssessAsync(
                new RiskRequest(request.IsLong, request.Collateral, request.RequestedLeverageX100, profile, Explain: true));
        }
        catch (Exception ex) when (ex is InvalidOperationException or FileNotFoundException or InvalidDataException)
        {
            return Refused($"the risk engine cannot price {request.Asset} now: {ex.Message}");
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
        var digest = await GrainFactory.GetGrain<IOracleGrain>(options.Value.OracleKey).GetDigestAsync(decision);
        var capped = grantedX100 < request.RequestedLeverageX100
            ? $"leverage capped at {Units.Leverage(grantedX100):0.##}x by the risk model (asked {Units.Leverage(request.RequestedLeverageX100):0.##}x)"
            : null;
        return new QuoteResult(true, capped, decision, digest, assessment.Explanation);
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
