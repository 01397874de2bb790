using System.Numerics;

namespace Aml.Orleans.Ethereum;

/// <summary>
/// A secp256k1 ECDSA signature with its recovery id (0 or 1, the parity of R's y). Always low-s: the signer
/// normalises s, and <see cref="FromRsv"/>/<see cref="FromCompact"/> reject high-s as Ethereum does.
/// </summary>
public sealed record Signature
{
    private readonly byte[] _r;
    private readonly byte[] _s;

    /// <summary>Builds a signature from 32-byte big-endian r and s and a recovery id of 0 or 1.</summary>
    public Signature(ReadOnlySpan<byte> r, ReadOnlySpan<byte> s, byte recoveryId)
    {
        if (r.Length != 32 || s.Length != 32)
        {
            throw new ArgumentException($"r and s are 32 bytes each, got {r.Length} and {s.Length}");
        }

        if (recoveryId > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(recoveryId), recoveryId, "recovery id must be 0 or 1");
        }

        var sValue = new BigInteger(s, isUnsigned: true, isBigEndian: true);
        var rValue = new BigInteger(r, isUnsigned: true, isBigEndian: true);
        if (rValue.IsZero || rValue >= Secp256k1.N || sValue.IsZero || sValue > Secp256k1.HalfN)
        {
            throw new ArgumentException("signature r must be in [1, n) and s in [1, n/2] (low-s)");
        }

        _r = r.ToArray();
        _s = s.ToArray();
        RecoveryId = recoveryId;
    }

    /// <summary>r, 32 bytes big-endian.</summary>
    public ReadOnlySpan<byte> R => _r;

    /// <summary>s, 32 bytes big-endian, at most n/2.</summary>
    public ReadOnlySpan<byte> S => _s;

    /// <summary>0 or 1: the parity of the y coordinate of R (the EIP-1559 <c>yParity</c>).</summary>
    public byte RecoveryId { get; }

    /// <summary>The <c>v</c> of <c>ecrecover</c> and of 65-byte signatures: 27 or 28.</summary>
    public byte V => (byte)(27 + RecoveryId);

    /// <summary>r ‖ s ‖ v (65 bytes, v = 27/28), the format of <c>cast wallet sign</c> and <c>eth_sign</c>.</summary>
    public byte[] ToRsv()
    {
        var bytes = new byte[65];
        _r.CopyTo(bytes, 0);
        _s.CopyTo(bytes, 32);
        bytes[64] = V;
        return bytes;
    }

    /// <summary>EIP-2098 compact form r ‖ vs (64 bytes): the top bit of s carries the recovery id.</summary>
    public byte[] ToCompact()
    {
        var bytes = new byte[64];
        _r.CopyTo(bytes, 0);
        _s.CopyTo(bytes, 32);
        bytes[32] |= (byte)(RecoveryId << 7);
        return bytes;
    }

    /// <summary>Parses r ‖ s ‖ v with v in {0, 1, 27, 28}.</summary>
    public static Signature FromRsv(ReadOnlySpan<byte> rsv)
    {
        if (rsv.Length != 65)
        {
            throw new ArgumentException($"an r‖s‖v signature is 65 bytes, got {rsv.Length}", nameof(rsv));
        }

        var v = rsv[64];
        var recoveryId = v switch
        {
            0 or 27 => (byte)0,
            1 or 28 => (byte)1,
            _ => throw new ArgumentException($"signature v must be 0, 1, 27 or 28, got {v}", nameof(rsv)),
        };
        return new Signature(rsv[..32], rsv[32..64], recoveryId);
    }

    /// <summary>Parses an EIP-2098 compact signature r ‖ vs.</summary>
    public static Signature FromCompact(ReadOnlySpan<byte> compact)
    {
        if (compact.Length != 64)
        {
            throw new ArgumentException($"an EIP-2098 signature is 64 bytes, got {compact.Length}", nameof(compact));
        }

        Span<byte> s = stackalloc byte[32];
        compact[32..].CopyTo(s);
        var recoveryId = (byte)(s[0] >> 7);
        s[0] &= 0x7f;
        return new Signature(compact[..32], s, recoveryId);
    }

    /// <inheritdoc/>
    public bool Equals(Signature? other) =>
        other is not null && RecoveryId == other.RecoveryId && R.SequenceEqual(other.R) && S.SequenceEqual(other.S);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(BitConverter.ToInt32(_r, 0), BitConverter.ToInt32(_s, 0), RecoveryId);

    /// <summary>Hex of r ‖ s ‖ v.</summary>
    public override string ToString() => Hex.Encode(ToRsv());
}
