namespace Aml.Orleans.Ethereum;

/// <summary>An immutable 32-byte value (hashes, ids, <c>bytes32</c>) with value equality, unlike a raw <c>byte[]</c>.</summary>
public readonly struct Bytes32 : IEquatable<Bytes32>
{
    private readonly byte[]? _bytes;

    /// <summary>Wraps a copy of exactly 32 bytes.</summary>
    public Bytes32(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 32)
        {
            throw new ArgumentException($"a bytes32 value is 32 bytes, got {bytes.Length}", nameof(bytes));
        }

        _bytes = bytes.ToArray();
    }

    /// <summary>All zeros.</summary>
    public static Bytes32 Zero { get; } = new(new byte[32]);

    /// <summary>The 32 bytes (zeros for <c>default</c>).</summary>
    public ReadOnlySpan<byte> Bytes => _bytes ?? new byte[32];

    /// <summary>A copy of the bytes.</summary>
    public byte[] ToArray() => Bytes.ToArray();

    /// <summary>Parses <c>0x</c> + 64 hex digits.</summary>
    public static Bytes32 Parse(string hex)
    {
        var bytes = Hex.Decode(hex);
        if (bytes.Length != 32)
        {
            throw new FormatException($"a bytes32 value is 64 hex digits, got {bytes.Length * 2}: '{hex}'");
        }

        return new Bytes32(bytes);
    }

    /// <summary>Keccak-256 of the UTF-8 text, e.g. a market id <c>keccak256("ETH-USD")</c>.</summary>
    public static Bytes32 KeccakOf(string text) => new(Keccak.Hash(text));

    /// <summary>Keccak-256 of the bytes.</summary>
    public static Bytes32 KeccakOf(ReadOnlySpan<byte> data) => new(Keccak.Hash(data));

    /// <summary>Lowercase 0x-prefixed hex.</summary>
    public override string ToString() => Hex.Encode(Bytes);

    /// <inheritdoc/>
    public bool Equals(Bytes32 other) => Bytes.SequenceEqual(other.Bytes);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Bytes32 other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => BitConverter.ToInt32(Bytes[28..]);

    /// <summary>Value equality.</summary>
    public static bool operator ==(Bytes32 left, Bytes32 right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(Bytes32 left, Bytes32 right) => !left.Equals(right);
}
