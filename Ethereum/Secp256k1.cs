using System.Numerics;

namespace Aml.Orleans.Ethereum;

/// <summary>
/// secp256k1 as Ethereum uses it: deterministic RFC 6979 signatures, always low-s, with the recovery id; public-key
/// recovery as <c>ecrecover</c> does it. Runs on libsecp256k1 (<see cref="Secp256k1Native"/>) where the library is
/// installed and on BouncyCastle (<see cref="Secp256k1Managed"/>) elsewhere; both give the same bytes.
/// </summary>
public static class Secp256k1
{
    /// <summary>The group order n.</summary>
    public static BigInteger N { get; } = Secp256k1Managed.N;

    /// <summary>n / 2: an s above it is "high" and rejected by Ethereum (EIP-2).</summary>
    public static BigInteger HalfN { get; } = N >> 1;

    /// <summary>Which implementation signs and recovers in this process: "libsecp256k1" or "BouncyCastle".</summary>
    public static string Backend => Secp256k1Native.IsAvailable ? "libsecp256k1" : "BouncyCastle";

    /// <summary>Whether 32 bytes form a valid private key (1 ≤ d &lt; n).</summary>
    public static bool IsValidPrivateKey(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != 32)
        {
            return false;
        }

        var d = new BigInteger(privateKey, isUnsigned: true, isBigEndian: true);
        return !d.IsZero && d < N;
    }

    /// <summary>The uncompressed public key x ‖ y (64 bytes) of a private key.</summary>
    public static byte[] PublicKey(ReadOnlySpan<byte> privateKey)
    {
        RequireValidKey(privateKey);
        return Secp256k1Native.IsAvailable ? Secp256k1Native.PublicKey(privateKey) : Secp256k1Managed.PublicKey(privateKey);
    }

    /// <summary>Signs a 32-byte hash (no further hashing) deterministically; s is always low.</summary>
    public static Signature Sign(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> privateKey)
    {
        RequireHash(hash32);
        RequireValidKey(privateKey);
        return (Secp256k1Native.IsAvailable ? Secp256k1Native.Sign(hash32, privateKey) : null) ?? Secp256k1Managed.Sign(hash32, privateKey);
    }

    /// <summary>Recovers the uncompressed public key (x ‖ y, 64 bytes) that produced a signature over a 32-byte hash.</summary>
    public static byte[] RecoverPublicKey(ReadOnlySpan<byte> hash32, Signature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        RequireHash(hash32);
        return Secp256k1Native.IsAvailable ? Secp256k1Native.RecoverPublicKey(hash32, signature) : Secp256k1Managed.RecoverPublicKey(hash32, signature);
    }

    /// <summary>Recovers the signer's address, what Solidity's <c>ecrecover</c> returns.</summary>
    public static Address RecoverAddress(ReadOnlySpan<byte> hash32, Signature signature) =>
        Address.FromPublicKey(RecoverPublicKey(hash32, signature));

    private static void RequireHash(ReadOnlySpan<byte> hash32)
    {
        if (hash32.Length != 32)
        {
            throw new ArgumentException($"the message hash must be 32 bytes, got {hash32.Length}", nameof(hash32));
        }
    }

    private static void RequireValidKey(ReadOnlySpan<byte> privateKey)
    {
        if (!IsValidPrivateKey(privateKey))
        {
            throw new ArgumentException("a private key is 32 bytes with a value in [1, n)", nameof(privateKey));
        }
    }
}
