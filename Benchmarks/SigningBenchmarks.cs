using Aml.Orleans.Ethereum;
using BenchmarkDotNet.Attributes;

namespace Aml.Orleans.Benchmarks;

/// <summary>
/// The oracle's signing cost: libsecp256k1 against the BouncyCastle signer (the baseline, same run), one signature
/// and one 3-of-5 quorum as <see cref="QuorumBuilder.SignAsync"/> builds it:
/// <c>dotnet run -c Release --project Benchmarks -- --filter '*SigningBenchmarks*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class SigningBenchmarks
{
    private static readonly string[] AnvilKeys =
    [
        "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
        "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
        "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
        "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
        "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    ];

    private readonly byte[][] _keys = AnvilKeys.Select(Hex.Decode).ToArray();
    private readonly byte[] _digest = Keccak.Hash("a decision's EIP-712 digest"u8.ToArray());
    private Address[] _signerSet = [];
    private LocalKeySigner[] _signers = [];
    private Signature _signature = null!;

    /// <summary>Derives the signer set once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        if (!Secp256k1Native.IsAvailable)
        {
            throw new InvalidOperationException("libsecp256k1.so.1 is not loadable: run ./aml setup");
        }

        _signers = AnvilKeys.Select(LocalKeySigner.FromHex).ToArray();
        _signerSet = _signers.Select(s => s.Address).ToArray();
        _signature = Secp256k1Managed.Sign(_digest, _keys[0]);
    }

    /// <summary>One RFC 6979 signature on BouncyCastle (the baseline).</summary>
    [Benchmark(Baseline = true)]
    public Signature SignManaged() => Secp256k1Managed.Sign(_digest, _keys[0]);

    /// <summary>The same signature through libsecp256k1.</summary>
    [Benchmark]
    public Signature? SignNative() => Secp256k1Native.Sign(_digest, _keys[0]);

    /// <summary>Recovery of the signer's public key on BouncyCastle.</summary>
    [Benchmark]
    public byte[] RecoverManaged() => Secp256k1Managed.RecoverPublicKey(_digest, _signature);

    /// <summary>The same recovery through libsecp256k1.</summary>
    [Benchmark]
    public byte[] RecoverNative() => Secp256k1Native.RecoverPublicKey(_digest, _signature);

    /// <summary>A 3-of-5 quorum: exactly three keys sign, nothing is recovered (the process default: native).</summary>
    [Benchmark]
    public Quorum Quorum3Of5() => QuorumBuilder.SignAsync(_signerSet, _signers, 3, _digest).GetAwaiter().GetResult();
}
