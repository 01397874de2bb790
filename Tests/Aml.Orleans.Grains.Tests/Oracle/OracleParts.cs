using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Interfaces;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Grains.Oracle;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Aml.Orleans.Grains.Tests.Oracle;

/// <summary>
/// An oracle's parts without a silo or a chain: a 3-of-5 signer set of which this node holds four keys, one listed
/// market, a fixed clock and feed guards the test sets. Nothing here makes an RPC call (the RPC URL goes nowhere).
/// </summary>
internal sealed class OracleParts : IDisposable
{
    public const string Asset = "ETH-USD";
    public const string MarketId = "0x2430f68ea2e8d4151992bb7fc3a4c472087a6149bf7e0232704396162ab7c1f7";
    public static readonly string Hash = "0x" + new string('a', 64);
    public static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // Private keys 1..5: valid secp256k1 keys with well-known addresses, in the contract's signer order.
    public static readonly LocalKeySigner[] SignerSet = Enumerable.Range(1, 5).Select(i => LocalKeySigner.FromHex("0x" + i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture))).ToArray();
    public static readonly LocalKeySigner Trader = LocalKeySigner.FromHex("0x" + new string('7', 64));

    public OracleParts()
    {
        var deployment = new Deployment(
            6343, "http://127.0.0.1:9", "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512", "0x5FbDB2315678afecb367f032d93F642f64180aa3",
            SignerSet[0].Address.ToString(), SignerSet[0].Address.ToString(), SignerSet.Select(s => s.Address.ToString()).ToArray(), 3, 1,
            new Dictionary<string, DeployedMarket> { [Asset] = new(MarketId, new MarketConfig(true, 5_000, 50, 2_500, 500, 100, 60, 300)) });
        var options = new OracleOptions();
        foreach (var key in new[] { 4, 1, 3, 0 })
        {
            options.SignerKeys.Add("0x" + (key + 1).ToString("x64", System.Globalization.CultureInfo.InvariantCulture)); // held out of order
        }

        Chain = new ChainContext(deployment, Options.Create(options));
        Catalog = new MarketCatalogOptions { Markets = deployment.Catalog() };
        Signers = new SigningPolicy(Chain, Guards, Catalog, Clock);
    }

    public FakeTimeProvider Clock { get; } = new(Now);

    public FixedGuards Guards { get; } = new();

    public ChainContext Chain { get; }

    public MarketCatalogOptions Catalog { get; }

    public SigningPolicy Signers { get; }

    public static Decision Decision(DecisionKind kind, int position = 1, ulong version = 1) => new(
        kind, "0x" + position.ToString("x64", System.Globalization.CultureInfo.InvariantCulture), Asset, Trader.Address.ToString(), true,
        Collateral: 1_000_000_000, Size: 10_000_000_000, MaxLeverageX100: 1_000, MaintenanceMarginBps: 500,
        CloseFactorBps: kind == DecisionKind.Liquidate ? 10_000u : 0, RiskScoreBps: 1_200, MarkPriceE8: 300_000_000_000,
        PriceTimestamp: (ulong)Now.ToUnixTimeSeconds() - 5, PositionVersion: kind == DecisionKind.Open ? 0 : version,
        ValidUntil: (ulong)Now.ToUnixTimeSeconds() + 50, Hash, Hash);

    public OracleEntry Entry(Decision decision, string? traderSignature = null) => new()
    {
        Decision = decision, Digest = Chain.DigestOf(decision), TraderSignature = traderSignature, Status = SubmissionStatus.Queued,
    };

    public string TraderSignature(Decision decision) => Hex.Encode(Trader.SignHash(Hex.Decode(Chain.DigestOf(decision))).ToRsv());

    public void Dispose() => Chain.Dispose();

    /// <summary>Feed guards as the test sets them, counting how often each was asked.</summary>
    public sealed class FixedGuards : IMarketGuards
    {
        public MarketGuard LastRead { get; set; } = MarketGuard.Off;

        public MarketGuard ReadNow { get; set; } = MarketGuard.Off;

        public int Reads { get; private set; }

        public Task<MarketGuard> GetAsync(string asset, CancellationToken cancellationToken = default) => Task.FromResult(LastRead);

        public Task<MarketGuard> ReadNowAsync(string asset, CancellationToken cancellationToken = default)
        {
            Reads++;
            return Task.FromResult(ReadNow);
        }
    }
}
