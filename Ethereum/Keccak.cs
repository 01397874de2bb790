using Org.BouncyCastle.Crypto.Digests;

namespace Aml.Orleans.Ethereum;

/// <summary>Keccak-256 as Ethereum uses it (the original Keccak padding, not NIST SHA3-256).</summary>
public static class Keccak
{
    // One digest per thread: its 200-byte state is most of the cost of hashing a short input. DoFinal resets it.
    [ThreadStatic]
    private static KeccakDigest? _digest;

    /// <summary>The 32-byte Keccak-256 digest of <paramref name="data"/>.</summary>
    public static byte[] Hash(ReadOnlySpan<byte> data)
    {
        var digest = _digest ??= new KeccakDigest(256);
        digest.BlockUpdate(data);
        var output = new byte[32];
        digest.DoFinal(output);
        return output;
    }

    /// <summary>Keccak-256 of the UTF-8 bytes of <paramref name="text"/>, e.g. a market id <c>keccak256("ETH-USD")</c>.</summary>
    public static byte[] Hash(string text) => Hash(System.Text.Encoding.UTF8.GetBytes(text));
}
