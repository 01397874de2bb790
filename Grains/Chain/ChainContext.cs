using System.Numerics;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Abi;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using Microsoft.Extensions.Options;
using ChainKind = Aml.Orleans.Ethereum.DecisionKind;

namespace Aml.Orleans.Grains.Chain;

/// <summary>
/// Everything the oracle and the indexer share about one deployed MarginManager: the RPC client, the keys, the
/// EIP-712 domain and the conversions between the engine's <see cref="Decision"/> (E8 prices, hex strings) and the
/// contract's <see cref="RiskDecision"/> (E18 prices, 32-byte values).
/// </summary>
public sealed class ChainContext : IDisposable
{
    private readonly HttpClient _http;
    private readonly Dictionary<string, Bytes32> _marketIds;
    private readonly Dictionary<Bytes32, string> _assets;

    /// <summary>Connects to the deployment's RPC endpoint with the oracle's keys.</summary>
    public ChainContext(Deployment deployment, IOptions<OracleOptions> options)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(options);
        Deployment = deployment;
        _http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var abi = AbiContract.FromJson(MarginManagerAbiJson.Load());
        Abi = abi;
        Rpc = new JsonRpcClient(_http, new Uri(deployment.RpcUrl), new JsonRpcClientOptions { Errors = abi });
        Contract = new MarginManagerClient(Rpc, Address.Parse(deployment.MarginManager), abi);
        Sender = new TransactionSender(Rpc);
        Domain = Eip712Domain.MarginManager(deployment.ChainId, Contract.Contract);
        OnChainSigners = deployment.Signers.Select(Address.Parse).ToArray();
        Keys = options.Value.SignerKeys.Select(LocalKeySigner.FromHex).ToArray();
        foreach (var key in Keys)
        {
            if (!OnChainSigners.Contains(key.Address))
            {
                throw new InvalidOperationException($"oracle key for {key.Address} is not in the contract's signer set");
            }
        }

        Relayer = string.IsNullOrEmpty(options.Value.RelayerKey) ? null : LocalKeySigner.FromHex(options.Value.RelayerKey);
        _marketIds = deployment.Markets.ToDictionary(m => m.Key, m => Bytes32.Parse(m.Value.MarketId), StringComparer.Ordinal);
        _assets = _marketIds.ToDictionary(m => m.Value, m => m.Key);
    }

    /// <summary>The deployment this context serves.</summary>
    public Deployment Deployment { get; }

    /// <summary>The compiled contract's ABI: every event and custom error.</summary>
    public AbiContract Abi { get; }

    /// <summary>JSON-RPC client of the chain.</summary>
    public JsonRpcClient Rpc { get; }

    /// <summary>The MarginManager binding.</summary>
    public MarginManagerClient Contract { get; }

    /// <summary>Sends with the node's sync methods where it has them.</summary>
    public TransactionSender Sender { get; }

    /// <summary>The EIP-712 domain every decision digest uses.</summary>
    public Eip712Domain Domain { get; }

    /// <summary>The contract's signer set, in bitmap order.</summary>
    public IReadOnlyList<Address> OnChainSigners { get; }

    /// <summary>The signer keys this node holds.</summary>
    public IReadOnlyList<ISigner> Keys { get; }

    /// <summary>The gas-paying relayer, when this node submits.</summary>
    public ISigner? Relayer { get; }

    /// <summary>The oracle grain's key.</summary>
    public string OracleKey => Deployment.OracleKey;

    /// <summary>The asset of an on-chain market id, or null when the deployment does not list it.</summary>
    public string? AssetOf(Bytes32 marketId) => _assets.GetValueOrDefault(marketId);

    /// <summary>The contract's form of an engine decision.</summary>
    public RiskDecision ToChain(Decision d)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (!_marketIds.TryGetValue(d.Asset, out var marketId))
        {
            throw new ArgumentException($"asset '{d.Asset}' is not in the deployment", nameof(d));
        }

        return new RiskDecision(
            (ChainKind)(byte)d.Kind, Bytes32.Parse(d.PositionId), marketId, Address.Parse(d.Trader), d.IsLong,
            checked((UInt128)d.Collateral), checked((UInt128)d.Size), d.MaxLeverageX100, d.MaintenanceMarginBps,
            d.CloseFactorBps, d.RiskScoreBps, Units.ToE18(d.MarkPriceE8), d.PriceTimestamp,
            d.PositionVersion, d.ValidUntil, Bytes32.Parse(d.ModelHash), Bytes32.Parse(d.FeaturesHash));
    }

    /// <summary>
    /// An on-chain decision in the engine's form (the inverse of <see cref="ToChain"/>); null for a market the deployment
    /// does not list or a price that is no whole E8 amount, which no decision of this engine carries.
    /// </summary>
    public Decision? FromChain(RiskDecision d)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (AssetOf(d.MarketId) is not { } asset || d.MarkPriceE18 % Units.ToE18(1) != 0 || d.Collateral > long.MaxValue || d.Size > long.MaxValue)
        {
            return null;
        }

        return new Decision(
            (Interfaces.DecisionKind)(byte)d.Kind, d.PositionId.ToString(), asset, d.Trader.ToString(), d.IsLong, (long)d.Collateral, (long)d.Size,
            d.MaxLeverageX100, d.MaintenanceMarginBps, d.CloseFactorBps, d.RiskScoreBps, Units.FromE18(d.MarkPriceE18), d.PriceTimestamp,
            d.PositionVersion, d.ValidUntil, d.ModelHash.ToString(), d.FeaturesHash.ToString());
    }

    /// <summary>The EIP-712 digest the quorum and, for an OPEN, the trader sign.</summary>
    public string DigestOf(Decision d) => Hex.Encode(ToChain(d).Digest(Domain));

    /// <summary>The position as the contract holds it, in the engine's units.</summary>
    public ChainPosition ToEngine(PositionView p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new ChainPosition(
            p.Trader.ToString(), AssetOf(p.MarketId) ?? p.MarketId.ToString(), p.IsLong, checked((long)p.Collateral),
            checked((long)p.Size), Units.FromE18(p.EntryPriceE18), p.MaxLeverageX100, p.MaintenanceMarginBps,
            p.RiskScoreBps, p.Version, (ChainPositionStatus)(byte)p.Status, p.Frozen);
    }

    /// <summary>A bitmap as the engine's DTOs carry it.</summary>
    public static string BitmapHex(BigInteger bitmap) => "0x" + bitmap.ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
