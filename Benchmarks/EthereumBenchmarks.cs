using Aml.Orleans.Ethereum;
using BenchmarkDotNet.Attributes;

namespace Aml.Orleans.Benchmarks;

/// <summary>
/// Costs on the oracle's signing path, as ratios to Keccak-256 of 64 bytes in the same run:
/// <c>dotnet run -c Release --project Benchmarks -- --filter '*EthereumBenchmarks*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class EthereumBenchmarks
{
    private static readonly LocalKeySigner Signer = LocalKeySigner.FromHex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
    private readonly byte[] _data64 = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
    private readonly byte[] _data1K = Enumerable.Range(0, 1024).Select(i => (byte)i).ToArray();
    private readonly Eip712Domain _domain = Eip712Domain.MarginManager(6343, Address.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3"));
    private readonly RiskDecision _decision = new(
        DecisionKind.Liquidate, Bytes32.KeccakOf("pos-1"), Bytes32.KeccakOf("ETH-USD"), Address.Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
        true, 1_000_000_000, 10_000_000_000, 1000, 500, 10000, 8123, UInt128.Parse("3000123456789000000000", System.Globalization.CultureInfo.InvariantCulture),
        1_763_900_000, 4, 1_763_900_600, Bytes32.KeccakOf("model-v1"), Bytes32.KeccakOf("features-1"));

    private readonly Quorum _quorum = new(0b111, new byte[192]);
    private byte[] _digest = [];
    private byte[] _separator = [];
    private Signature _signature = null!;
    private byte[] _calldata = [];

    /// <summary>Prepares a digest and its signature for the recover benchmark.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _digest = _decision.Digest(_domain);
        _separator = _domain.Separator();
        _signature = Signer.SignHash(_digest);
        _calldata = MarginManagerAbi.EncodeApplyDecision(_decision, _quorum);
    }

    /// <summary>Keccak-256 of 64 bytes (the baseline).</summary>
    [Benchmark(Baseline = true)]
    public byte[] Keccak64B() => Keccak.Hash(_data64);

    /// <summary>Keccak-256 of 1 KiB.</summary>
    [Benchmark]
    public byte[] Keccak1KiB() => Keccak.Hash(_data1K);

    /// <summary>RFC 6979 signature with recovery id and low-s.</summary>
    [Benchmark]
    public Signature Sign() => Signer.SignHash(_digest);

    /// <summary>Public-key recovery to an address (what ecrecover does).</summary>
    [Benchmark]
    public Address Recover() => Secp256k1.RecoverAddress(_digest, _signature);

    /// <summary>EIP-712 digest of a RiskDecision through the typed record (domain separator included).</summary>
    [Benchmark]
    public byte[] Eip712DigestTyped() => _decision.Digest(_domain);

    /// <summary>The same digest with the domain separator computed once (batch signing).</summary>
    [Benchmark]
    public byte[] Eip712DigestTypedCachedDomain() => _decision.Digest(_separator);

    /// <summary>The same digest through the generic typed-data path.</summary>
    [Benchmark]
    public byte[] Eip712DigestGeneric() =>
        new TypedData(DecisionList.Types, "RiskDecision", _domain.ToTypedValues(), _decision.ToTypedValues()).Digest();

    /// <summary>ABI calldata of <c>applyDecision(d, q)</c>.</summary>
    [Benchmark]
    public byte[] AbiEncodeDecision() => MarginManagerAbi.EncodeApplyDecision(_decision, _quorum);

    /// <summary>RLP of the unsigned EIP-1559 transaction carrying that calldata (its signing hash input).</summary>
    [Benchmark]
    public byte[] RlpEncodeDecisionTransaction() =>
        Rlp.Encode(new RlpList(
            RlpString.FromInteger(6343), RlpString.FromInteger(42), RlpString.FromInteger(0), RlpString.FromInteger(2_000_000),
            RlpString.FromInteger(300_000), new RlpString(_domain.VerifyingContract.Bytes.ToArray()), RlpString.Empty,
            new RlpString(_calldata), new RlpList()));
}
