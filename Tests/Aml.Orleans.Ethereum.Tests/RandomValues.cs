using System.Numerics;
using Aml.Orleans.Ethereum.Abi;

namespace Aml.Orleans.Ethereum.Tests;

/// <summary>Seeded generators for property tests: the same seed gives the same cases on every run.</summary>
internal sealed class RandomValues(int seed)
{
    private static readonly string[] TextPieces = ["a", "Z", "0", " ", "é", "€", "😀"];
    private readonly Random _random = new(seed);

    public int Int(int maxExclusive) => _random.Next(maxExclusive);

    public bool Bool() => _random.Next(2) == 1;

    public byte[] Bytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    public byte[] PrivateKey()
    {
        while (true)
        {
            var key = Bytes(32);
            if (Secp256k1.IsValidPrivateKey(key))
            {
                return key;
            }
        }
    }

    /// <summary>Lengths biased to the RLP/ABI boundaries (0, 1, 31–33, 55–57, long).</summary>
    public int Length() => _random.Next(6) switch
    {
        0 => 0,
        1 => 1,
        2 => 31 + _random.Next(3),
        3 => 55 + _random.Next(3),
        4 => _random.Next(300),
        _ => _random.Next(10),
    };

    public RlpItem RlpItem(int depth)
    {
        if (depth > 0 && _random.Next(3) == 0)
        {
            var count = _random.Next(depth > 2 ? 4 : 8);
            return new RlpList(Enumerable.Range(0, count).Select(_ => RlpItem(depth - 1)).ToArray());
        }

        return new RlpString(Bytes(Length()));
    }

    public AbiType AbiType(int depth)
    {
        var choice = _random.Next(depth > 0 ? 10 : 7);
        return choice switch
        {
            0 => new AbiIntegerType(8 * (1 + _random.Next(32)), false),
            1 => new AbiIntegerType(8 * (1 + _random.Next(32)), true),
            2 => AbiAddressType.Instance,
            3 => AbiBoolType.Instance,
            4 => new AbiFixedBytesType(1 + _random.Next(32)),
            5 => AbiBytesType.Instance,
            6 => AbiStringType.Instance,
            7 => new AbiArrayType(AbiType(depth - 1), null),
            8 => new AbiArrayType(AbiType(depth - 1), 1 + _random.Next(3)),
            _ => new AbiTupleType(Enumerable.Range(0, 1 + _random.Next(4)).Select(_ => AbiType(depth - 1)).ToArray()),
        };
    }

    public object AbiValue(AbiType type) => type switch
    {
        AbiIntegerType integer => Integer(integer),
        AbiAddressType => new Address(Bytes(20)),
        AbiBoolType => Bool(),
        AbiFixedBytesType fixedBytes => Bytes(fixedBytes.Size),
        AbiBytesType => Bytes(Length()),
        AbiStringType => string.Concat(Enumerable.Range(0, Length()).Select(_ => TextPieces[_random.Next(TextPieces.Length)])),
        AbiArrayType array => Enumerable.Range(0, array.Length ?? _random.Next(4)).Select(_ => AbiValue(array.Element)).ToArray(),
        AbiTupleType tuple => tuple.Components.Select(AbiValue).ToArray(),
        _ => throw new ArgumentException(type.Name),
    };

    public RiskDecision Decision() => new(
        (DecisionKind)(1 + _random.Next(4)), new Bytes32(Bytes(32)), new Bytes32(Bytes(32)), new Address(Bytes(20)), Bool(),
        UInt128(), UInt128(), (uint)_random.NextInt64(uint.MaxValue + 1L), (uint)_random.Next(10001), (uint)_random.Next(10001),
        (ushort)_random.Next(65536), UInt128(), (ulong)_random.NextInt64(), (ulong)_random.Next(100), (ulong)_random.NextInt64(),
        new Bytes32(Bytes(32)), new Bytes32(Bytes(32)));

    private UInt128 UInt128() => _random.Next(4) switch
    {
        0 => System.UInt128.MaxValue,
        1 => System.UInt128.Zero,
        _ => new UInt128((ulong)_random.NextInt64(), (ulong)_random.NextInt64()),
    };

    private BigInteger Integer(AbiIntegerType type) => _random.Next(5) switch
    {
        0 => type.Min,
        1 => type.Max,
        2 => BigInteger.Zero,
        _ => Clamp(type, new BigInteger(Bytes(type.Bits / 8), isUnsigned: !type.Signed, isBigEndian: true)),
    };

    private static BigInteger Clamp(AbiIntegerType type, BigInteger value) =>
        BigInteger.Min(type.Max, BigInteger.Max(type.Min, value));
}
