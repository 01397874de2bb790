namespace Aml.Orleans.Ethereum;

/// <summary>A 20-byte account address; <see cref="ToString"/> gives the EIP-55 checksummed form.</summary>
public readonly struct Address : IEquatable<Address>, IComparable<Address>
{
    private readonly byte[]? _bytes;

    /// <summary>Wraps a copy of exactly 20 bytes.</summary>
    public Address(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 20)
        {
            throw new ArgumentException($"an address is 20 bytes, got {bytes.Length}", nameof(bytes));
        }

        _bytes = bytes.ToArray();
    }

    /// <summary>The zero address (0x000…0).</summary>
    public static Address Zero { get; } = new(new byte[20]);

    /// <summary>The 20 bytes (a zero address for <c>default</c>).</summary>
    public ReadOnlySpan<byte> Bytes => _bytes ?? new byte[20];

    /// <summary>
    /// Parses <c>0x</c> + 40 hex digits. All-lowercase or all-uppercase is accepted as is; mixed case must be a
    /// valid EIP-55 checksum, because a mixed-case address with a wrong checksum is almost always a typo.
    /// </summary>
    public static Address Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || text.Length != 42)
        {
            throw new FormatException($"an address is 0x followed by 40 hex digits: '{text}'");
        }

        var address = new Address(Hex.Decode(text));
        var digits = text.AsSpan(2);
        var mixed = digits.ContainsAnyInRange('a', 'f') && digits.ContainsAnyInRange('A', 'F');
        if (mixed && !string.Equals(address.ToString(), text, StringComparison.Ordinal))
        {
            throw new FormatException($"address '{text}' has a wrong EIP-55 checksum (expected {address})");
        }

        return address;
    }

    /// <summary>The address of an uncompressed public key (64 bytes x‖y, or 65 with the 0x04 prefix).</summary>
    public static Address FromPublicKey(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length == 65 && publicKey[0] == 0x04)
        {
            publicKey = publicKey[1..];
        }

        if (publicKey.Length != 64)
        {
            throw new ArgumentException($"an uncompressed public key is 64 bytes, got {publicKey.Length}", nameof(publicKey));
        }

        return new Address(Keccak.Hash(publicKey).AsSpan(12));
    }

    /// <summary>The EIP-55 checksummed hex form.</summary>
    public override string ToString()
    {
        var lower = Convert.ToHexStringLower(Bytes);
        var hash = Keccak.Hash(System.Text.Encoding.ASCII.GetBytes(lower));
        var chars = new char[42];
        chars[0] = '0';
        chars[1] = 'x';
        for (var i = 0; i < 40; i++)
        {
            var nibble = (hash[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0xf;
            chars[i + 2] = nibble >= 8 ? char.ToUpperInvariant(lower[i]) : lower[i];
        }

        return new string(chars);
    }

    /// <summary>Lowercase hex, the form JSON-RPC filters compare against.</summary>
    public string ToLowerHex() => Hex.Encode(Bytes);

    /// <inheritdoc/>
    public bool Equals(Address other) => Bytes.SequenceEqual(other.Bytes);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Address other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => BitConverter.ToInt32(Bytes[16..]);

    /// <summary>Orders by numeric value, the order Solidity compares addresses in.</summary>
    public int CompareTo(Address other) => Bytes.SequenceCompareTo(other.Bytes);

    /// <summary>Value equality.</summary>
    public static bool operator ==(Address left, Address right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(Address left, Address right) => !left.Equals(right);

    /// <summary>Numeric order.</summary>
    public static bool operator <(Address left, Address right) => left.CompareTo(right) < 0;

    /// <summary>Numeric order.</summary>
    public static bool operator >(Address left, Address right) => left.CompareTo(right) > 0;

    /// <summary>Numeric order.</summary>
    public static bool operator <=(Address left, Address right) => left.CompareTo(right) <= 0;

    /// <summary>Numeric order.</summary>
    public static bool operator >=(Address left, Address right) => left.CompareTo(right) >= 0;
}
