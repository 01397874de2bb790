using System.Text.Json;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Chain;

namespace Aml.Orleans.Grains.Tests.Chain;

/// <summary>The deployment file as <c>./aml deploy</c> writes it: each market one flat object (config beside id and limits).</summary>
public sealed class DeploymentFileTests : IDisposable
{
    private const string MarketId = "0x2430f68ea2e8d4151992bb7fc3a4c472087a6149bf7e0232704396162ab7c1f7";
    private readonly string _directory = Directory.CreateTempSubdirectory("aml-deployment-").FullName;

    // The object deploy.sh builds for one market, field for field.
    private const string EthMarket = $$"""
        { "marketId": "{{MarketId}}", "listed": true, "maxLeverageX100": 5000, "minMaintenanceMarginBps": 50,
          "maxMaintenanceMarginBps": 2500, "maxMarginStepBps": 250, "liquidationPenaltyBps": 100, "maxPriceAge": 120,
          "tighteningGrace": 900,
          "limits": { "priceFeed": "0x5FbDB2315678afecb367f032d93F642f64180aa3", "maxFeedDeviationBps": 200, "maxFeedAge": 3600,
                      "maxDecisionTtl": 300, "maxOpenInterestLong": "1000000000000000", "maxOpenInterestShort": "900000000000000",
                      "borrowRateBpsPerDay": 10, "oracleLivenessTimeout": 86400 } }
        """;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string markets)
    {
        var path = Path.Combine(_directory, "6343.json");
        File.WriteAllText(path, $$"""
            { "chainId": 6343, "rpcUrl": "http://127.0.0.1:8545", "marginManager": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
              "collateralToken": "0x5FbDB2315678afecb367f032d93F642f64180aa3", "admin": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
              "guardian": "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720", "signers": ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"],
              "threshold": 1, "deployBlock": 1, "markets": {{markets}} }
            """);
        return path;
    }

    [Fact]
    public void Load_FlatMarket_ConfigAndLimitsRead()
    {
        var market = Deployment.Load(Write($$"""{ "ETH-USD": {{EthMarket}} }""")).Markets["ETH-USD"];

        Assert.Equal(MarketId, market.MarketId);
        Assert.Equal(new MarketConfig(true, 5000, 50, 2500, 250, 100, 120, 900), market.Config);
        Assert.Equal(new DeployedLimits("0x5FbDB2315678afecb367f032d93F642f64180aa3", 200, 3600, 300, "1000000000000000",
            "900000000000000", 10, 86400), market.Limits);
    }

    [Fact]
    public void Load_MarketWithoutLimits_VersionOneMarket()
    {
        var flat = EthMarket[..EthMarket.IndexOf("\"limits\"", StringComparison.Ordinal)].TrimEnd().TrimEnd(',') + " }";

        var market = Deployment.Load(Write($$"""{ "ETH-USD": {{flat}} }""")).Markets["ETH-USD"];

        Assert.Null(market.Limits);
        Assert.Equal(900UL, market.Config.TighteningGrace);
    }

    [Fact]
    public void Load_MarketWithoutId_RefusedNamingTheFile()
    {
        var path = Write("""{ "ETH-USD": { "listed": true, "maxLeverageX100": 5000 } }""");

        var error = Assert.Throws<InvalidDataException>(() => Deployment.Load(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("marketId", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_Market_WritesTheFlatShapeItReads()
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
        var market = Deployment.Load(Write($$"""{ "ETH-USD": {{EthMarket}} }""")).Markets["ETH-USD"];

        var json = JsonSerializer.Serialize(market, options);

        using var written = JsonDocument.Parse(json);
        Assert.Equal(MarketId, written.RootElement.GetProperty("marketId").GetString());
        Assert.Equal(5000, written.RootElement.GetProperty("maxLeverageX100").GetInt32());
        Assert.Equal(market, JsonSerializer.Deserialize<DeployedMarket>(json, options));
    }
}
