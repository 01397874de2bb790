namespace Aml.Orleans.Ethereum;

/// <summary>0x-prefixed lowercase hex, the wire format of every Ethereum JSON-RPC byte string.</summary>
public static class Hex
{
    /// <summary>Encodes bytes as <c>0x…</c> lowercase hex.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes) => "0x" + Convert.ToHexStringLower(bytes);

    /// <summary>Decodes hex with or without the 0x prefix; odd length or a non-hex digit is a <see cref="FormatException"/>.</summary>
    public static byte[] Decode(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        var digits = hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex.AsSpan(2) : hex.AsSpan();
        if (digits.Length % 2 != 0)
        {
            throw new FormatException($"hex string has an odd number of digits ({digits.Length}): '{hex}'");
        }

        return Convert.FromHexString(digits);
    }
}
