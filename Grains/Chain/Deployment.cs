using System.Text.Json;
using System.Text.Json.Serialization;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Markets;

namespace Aml.Orleans.Grains.Chain;

/// <summary>
/// Where the contracts live and how they are configured: the file <c>./aml deploy</c> writes
/// (<c>.data/deployments/&lt;chainId&gt;.json</c>). The engine reads market bounds from here so that it never signs what
/// the contract would refuse.
/// </summary>
public sealed record Deployment(
    ulong ChainId,
    string RpcUrl,
    string MarginManager,
    string CollateralToken,
    string Admin,
    string Guardian,
    IReadOnlyList<string> Signers,
    int Threshold,
    ulong DeployBlock,
    IReadOnlyDictionary<string, DeployedMarket> Markets,
    string? FeedUpdater = null,
    ulong GovernanceDelay = 0)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    /// <summary>The oracle grain's key for this deployment.</summary>
    public string OracleKey => $"{ChainId}:{MarginManager.ToLowerInvariant()}";

    /// <summary>Reads and checks a deployment file; errors name the file and what is missing.</summary>
    public static Deployment Load(string path)
    {
        Deployment? deployment;
        try
        {
            deployment = JsonSerializer.Deserialize<Deployment>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"deployment file {path} is not valid JSON: {e.Message}", e);
        }

        if (deployment is null || string.IsNullOrEmpty(deployment.MarginManager) || deployment.Signers is null ||
            deployment.Markets is null || deployment.Markets.Count == 0)
        {
            throw new InvalidDataException($"deployment file {path} lacks marginManager, signers or markets");
        }

        return deployment;
    }

    /// <summary>The listed markets as the engine's catalogue.</summary>
    public Dictionary<string, MarketTerms> Catalog() =>
        Markets.Where(m => m.Value.Config.Listed).ToDictionary(
            m => m.Key,
            m => new MarketTerms(m.Value.Config.MaxLeverageX100, m.Value.Config.MinMaintenanceMarginBps,
                m.Value.Config.MaxMaintenanceMarginBps, m.Value.Config.MaxMarginStepBps, m.Value.Config.LiquidationPenaltyBps,
                m.Value.Config.MaxPriceAge, m.Value.Config.TighteningGrace,
                m.Value.Limits?.MaxDecisionTtl ?? 0, m.Value.Limits?.BorrowRateBpsPerDay ?? 0),
            StringComparer.Ordinal);
}

/// <summary>
/// One market as deployed: its id (<c>keccak256(symbol)</c>), the contract's <c>MarketConfig</c> and, from version 2, its
/// <c>MarketLimits</c> as set at deployment (governance may change them later; the oracle reads the live ones). The
/// deployment file writes the config's fields beside <c>marketId</c> and <c>limits</c> (one flat object, as
/// <c>./aml deploy</c> builds it); the binding's <see cref="MarketConfig"/> is the one definition of those fields.
/// </summary>
[JsonConverter(typeof(DeployedMarketJsonConverter))]
public sealed record DeployedMarket(string MarketId, MarketConfig Config, DeployedLimits? Limits = null);

/// <summary>A market's <c>MarketLimits</c> as deployed; zero is off. Open-interest caps are strings (uint128).</summary>
public sealed record DeployedLimits(
    string PriceFeed,
    uint MaxFeedDeviationBps,
    ulong MaxFeedAge,
    ulong MaxDecisionTtl,
    string MaxOpenInterestLong,
    string MaxOpenInterestShort,
    uint BorrowRateBpsPerDay,
    ulong OracleLivenessTimeout);
