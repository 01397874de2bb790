using System.Numerics;

namespace Aml.Orleans.Ethereum;

/// <summary>A signed transaction ready for <c>eth_sendRawTransaction</c>; the hash is known before sending.</summary>
public sealed record SignedTransaction(byte[] Raw, Bytes32 Hash, Address From, ulong Nonce)
{
    /// <summary>The raw bytes as 0x-hex, the JSON-RPC parameter.</summary>
    public string RawHex => Hex.Encode(Raw);
}

/// <summary>Fields shared by transaction types; <see cref="To"/> null creates a contract.</summary>
public abstract record UnsignedTransaction(ulong ChainId, ulong Nonce, ulong GasLimit, Address? To, BigInteger Value, byte[] Data)
{
    /// <summary>The hash to sign.</summary>
    public abstract byte[] SigningHash();

    /// <summary>The encoded signed transaction for a signature over <see cref="SigningHash"/>.</summary>
    public abstract byte[] EncodeSigned(Signature signature);

    /// <summary>Signs with any <see cref="ISigner"/> and returns raw bytes and hash.</summary>
    public async Task<SignedTransaction> SignAsync(ISigner signer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var signature = await signer.SignHashAsync(SigningHash(), cancellationToken).ConfigureAwait(false);
        var raw = EncodeSigned(signature);
        return new SignedTransaction(raw, Bytes32.KeccakOf(raw), signer.Address, Nonce);
    }

    /// <summary>Signs with a local key, synchronously.</summary>
    public SignedTransaction Sign(LocalKeySigner signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var raw = EncodeSigned(signer.SignHash(SigningHash()));
        return new SignedTransaction(raw, Bytes32.KeccakOf(raw), signer.Address, Nonce);
    }

    /// <summary>The RLP of <see cref="To"/>: 20 bytes, or empty for a creation.</summary>
    protected RlpString ToItem() => To is { } to ? new RlpString(to.Bytes.ToArray()) : RlpString.Empty;

    /// <summary>Shorthand for integer RLP items.</summary>
    protected static RlpString Int(BigInteger value) => RlpString.FromInteger(value);

    /// <summary>Shorthand for the big-endian integer value of r or s.</summary>
    protected static RlpString Int(ReadOnlySpan<byte> bigEndian) =>
        RlpString.FromInteger(new BigInteger(bigEndian, isUnsigned: true, isBigEndian: true));
}

/// <summary>A legacy transaction with EIP-155 replay protection (v = chainId·2 + 35 + recovery id).</summary>
public sealed record LegacyTransaction(
    ulong ChainId, ulong Nonce, BigInteger GasPrice, ulong GasLimit, Address? To, BigInteger Value, byte[] Data)
    : UnsignedTransaction(ChainId, Nonce, GasLimit, To, Value, Data)
{
    /// <inheritdoc/>
    public override byte[] SigningHash() => Keccak.Hash(Rlp.Encode(new RlpList(
        Int(Nonce), Int(GasPrice), Int(GasLimit), ToItem(), Int(Value), new RlpString(Data),
        Int(ChainId), RlpString.Empty, RlpString.Empty)));

    /// <inheritdoc/>
    public override byte[] EncodeSigned(Signature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        var v = (new BigInteger(ChainId) * 2) + 35 + signature.RecoveryId;
        return Rlp.Encode(new RlpList(
            Int(Nonce), Int(GasPrice), Int(GasLimit), ToItem(), Int(Value), new RlpString(Data),
            Int(v), Int(signature.R), Int(signature.S)));
    }
}

/// <summary>An EIP-1559 (type 0x02) transaction with an empty access list.</summary>
public sealed record Eip1559Transaction(
    ulong ChainId, ulong Nonce, BigInteger MaxPriorityFeePerGas, BigInteger MaxFeePerGas, ulong GasLimit,
    Address? To, BigInteger Value, byte[] Data)
    : UnsignedTransaction(ChainId, Nonce, GasLimit, To, Value, Data)
{
    /// <inheritdoc/>
    public override byte[] SigningHash() => Keccak.Hash([0x02, .. Rlp.Encode(new RlpList(Fields()))]);

    /// <inheritdoc/>
    public override byte[] EncodeSigned(Signature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        var fields = Fields();
        fields.AddRange([Int(signature.RecoveryId), Int(signature.R), Int(signature.S)]);
        return [0x02, .. Rlp.Encode(new RlpList(fields))];
    }

    /// <summary>Decodes a signed type-2 transaction and recovers its sender (checks round trips and cast output).</summary>
    public static (Eip1559Transaction Transaction, Address From) DecodeSigned(ReadOnlySpan<byte> raw)
    {
        if (raw.Length == 0 || raw[0] != 0x02)
        {
            throw new FormatException("not an EIP-1559 transaction (type byte 0x02 expected)");
        }

        var items = (Rlp.Decode(raw[1..]) as RlpList)?.Items
            ?? throw new FormatException("EIP-1559 payload is not an RLP list");
        if (items.Count != 12)
        {
            throw new FormatException($"EIP-1559 transaction has 12 fields, got {items.Count}");
        }

        BigInteger I(int i) => ((RlpString)items[i]).ToInteger();
        var to = ((RlpString)items[5]).Value;
        var tx = new Eip1559Transaction(
            (ulong)I(0), (ulong)I(1), I(2), I(3), (ulong)I(4), to.Length == 0 ? null : new Address(to), I(6),
            ((RlpString)items[7]).Value);
        if (items[8] is not RlpList { Items.Count: 0 })
        {
            throw new FormatException("only an empty access list is supported");
        }

        var signature = new Signature(Pad32(I(10)), Pad32(I(11)), (byte)I(9));
        return (tx, Secp256k1.RecoverAddress(tx.SigningHash(), signature));
    }

    private List<RlpItem> Fields() =>
    [
        Int(ChainId), Int(Nonce), Int(MaxPriorityFeePerGas), Int(MaxFeePerGas), Int(GasLimit), ToItem(), Int(Value),
        new RlpString(Data), new RlpList(),
    ];

    private static byte[] Pad32(BigInteger value)
    {
        var bytes = new byte[32];
        value.TryWriteBytes(bytes.AsSpan(32 - value.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        return bytes;
    }
}
