using System.Numerics;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math.EC;
using Org.BouncyCastle.Math.EC.Multiplier;
using BcBigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Aml.Orleans.Ethereum;

/// <summary>
/// secp256k1 in managed code on BouncyCastle: RFC 6979 deterministic nonces (HMAC-SHA256), low-s normalisation,
/// and a recovery id taken from R itself rather than found by trial recovery. The fallback when
/// <see cref="Secp256k1Native"/> cannot be loaded, and the reference the native path is tested against.
/// </summary>
public static class Secp256k1Managed
{
    // The custom curve uses the GLV endomorphism; the generic SEC one is about 4x slower (TOOLCHAIN.md).
    private static readonly X9ECParameters Curve = CustomNamedCurves.GetByName("secp256k1");
    private static readonly ECDomainParameters Domain = new(Curve.Curve, Curve.G, Curve.N, Curve.H);
    private static readonly FixedPointCombMultiplier BaseMultiplier = new();
    private static readonly BcBigInteger BcN = Curve.N;
    private static readonly BcBigInteger BcHalfN = Curve.N.ShiftRight(1);

    /// <summary>The group order n.</summary>
    internal static BigInteger N { get; } = ToNumerics(Curve.N);

    /// <summary>The uncompressed public key x ‖ y (64 bytes) of a private key.</summary>
    public static byte[] PublicKey(ReadOnlySpan<byte> privateKey)
    {
        var d = PrivateScalar(privateKey);
        var q = BaseMultiplier.Multiply(Domain.G, d).Normalize();
        return q.GetEncoded(false)[1..];
    }

    /// <summary>Signs a 32-byte hash (no further hashing) deterministically; s is always low.</summary>
    public static Signature Sign(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> privateKey)
    {
        if (hash32.Length != 32)
        {
            throw new ArgumentException($"the message hash must be 32 bytes, got {hash32.Length}", nameof(hash32));
        }

        var d = PrivateScalar(privateKey);
        var message = hash32.ToArray();
        var e = new BcBigInteger(1, message);
        var kCalculator = new HMacDsaKCalculator(new Sha256Digest());
        kCalculator.Init(BcN, d, message);
        while (true)
        {
            var k = kCalculator.NextK();
            var point = BaseMultiplier.Multiply(Domain.G, k).Normalize();
            var x = point.AffineXCoord.ToBigInteger();
            var r = x.Mod(BcN);
            if (r.SignValue == 0)
            {
                continue;
            }

            var s = k.ModInverse(BcN).Multiply(e.Add(d.Multiply(r))).Mod(BcN);
            if (s.SignValue == 0)
            {
                continue;
            }

            // x ≥ n happens with probability ~2^-128; such an R cannot be encoded in a 0/1 recovery id.
            if (x.CompareTo(BcN) >= 0)
            {
                continue;
            }

            var recoveryId = (byte)(point.AffineYCoord.TestBitZero() ? 1 : 0);
            if (s.CompareTo(BcHalfN) > 0)
            {
                // Negating s corresponds to negating R, which flips the parity of its y.
                s = BcN.Subtract(s);
                recoveryId ^= 1;
            }

            return new Signature(r.ToByteArrayUnsigned().LeftPad32(), s.ToByteArrayUnsigned().LeftPad32(), recoveryId);
        }
    }

    /// <summary>Recovers the uncompressed public key (x ‖ y, 64 bytes) that produced a signature over a 32-byte hash.</summary>
    public static byte[] RecoverPublicKey(ReadOnlySpan<byte> hash32, Signature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        if (hash32.Length != 32)
        {
            throw new ArgumentException($"the message hash must be 32 bytes, got {hash32.Length}", nameof(hash32));
        }

        var r = new BcBigInteger(1, signature.R.ToArray());
        var s = new BcBigInteger(1, signature.S.ToArray());
        var e = new BcBigInteger(1, hash32.ToArray());
        var encodedR = new byte[33];
        encodedR[0] = (byte)(0x02 + signature.RecoveryId);
        signature.R.CopyTo(encodedR.AsSpan(1));
        ECPoint bigR;
        try
        {
            bigR = Domain.Curve.DecodePoint(encodedR);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException("signature r is not the x coordinate of a curve point", nameof(signature), ex);
        }

        var rInverse = r.ModInverse(BcN);
        var u1 = BcN.Subtract(e).Mod(BcN).Multiply(rInverse).Mod(BcN);
        var u2 = s.Multiply(rInverse).Mod(BcN);
        var q = ECAlgorithms.SumOfTwoMultiplies(Domain.G, u1, bigR, u2).Normalize();
        if (q.IsInfinity)
        {
            throw new ArgumentException("signature recovers to the point at infinity", nameof(signature));
        }

        return q.GetEncoded(false)[1..];
    }

    private static BcBigInteger PrivateScalar(ReadOnlySpan<byte> privateKey)
    {
        if (!Secp256k1.IsValidPrivateKey(privateKey))
        {
            throw new ArgumentException("a private key is 32 bytes with a value in [1, n)", nameof(privateKey));
        }

        return new BcBigInteger(1, privateKey.ToArray());
    }

    internal static BigInteger ToNumerics(BcBigInteger value) =>
        new(value.ToByteArrayUnsigned(), isUnsigned: true, isBigEndian: true);

    private static byte[] LeftPad32(this byte[] bytes)
    {
        if (bytes.Length == 32)
        {
            return bytes;
        }

        var padded = new byte[32];
        bytes.CopyTo(padded, 32 - bytes.Length);
        return padded;
    }
}
