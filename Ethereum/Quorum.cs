using System.Numerics;

namespace Aml.Orleans.Ethereum;

/// <summary>
/// The contract's <c>Quorum { uint256 signerBitmap; bytes signatures; }</c>: bit i set for <c>signers()[i]</c>,
/// and exactly <c>threshold</c> EIP-2098 signatures (64 bytes each) in ascending signer-index order.
/// </summary>
public sealed record Quorum(BigInteger SignerBitmap, byte[] Signatures)
{
    /// <summary>The ABI tuple type.</summary>
    public const string AbiTuple = "(uint256,bytes)";

    /// <summary>The ABI tuple value.</summary>
    public object[] ToAbiValue() => [SignerBitmap, Signatures];

    /// <summary>Rebuilds a quorum from a decoded ABI tuple.</summary>
    public static Quorum FromAbiValue(object value)
    {
        var f = value as object[] ?? throw new ArgumentException("a Quorum ABI value is an object[] tuple", nameof(value));
        return new Quorum((BigInteger)f[0], (byte[])f[1]);
    }

    /// <inheritdoc/>
    public bool Equals(Quorum? other) =>
        other is not null && SignerBitmap == other.SignerBitmap && Signatures.AsSpan().SequenceEqual(other.Signatures);

    /// <inheritdoc/>
    public override int GetHashCode() => SignerBitmap.GetHashCode();
}

/// <summary>Assembles a <see cref="Quorum"/> from signatures collected from the oracle signers.</summary>
public static class QuorumBuilder
{
    /// <summary>
    /// Picks the first <paramref name="threshold"/> signers (in contract order) that signed, checks each signature
    /// recovers to its signer over <paramref name="digest"/>, and packs bitmap and compact signatures. Rejects a
    /// signer set the contract would reject (more than 32, zero or duplicate address, 2·threshold ≤ n), a signature
    /// from an address outside the set, and too few signatures.
    /// </summary>
    public static Quorum Build(
        IReadOnlyList<Address> signers, IReadOnlyDictionary<Address, Signature> signatures, int threshold, ReadOnlySpan<byte> digest)
    {
        ArgumentNullException.ThrowIfNull(signers);
        ArgumentNullException.ThrowIfNull(signatures);
        ValidateSignerSet(signers, threshold);
        foreach (var signer in signatures.Keys)
        {
            if (!signers.Contains(signer))
            {
                throw new ArgumentException($"signature from {signer}, which is not in the signer set", nameof(signatures));
            }
        }

        var quorum = new QuorumPacker(threshold);
        for (var i = 0; i < signers.Count && !quorum.IsFull; i++)
        {
            if (!signatures.TryGetValue(signers[i], out var signature))
            {
                continue;
            }

            var recovered = Secp256k1.RecoverAddress(digest, signature);
            if (recovered != signers[i])
            {
                throw new ArgumentException($"the signature given for {signers[i]} recovers to {recovered}", nameof(signatures));
            }

            quorum.Add(i, signature);
        }

        return quorum.IsFull
            ? quorum.ToQuorum()
            : throw new InvalidOperationException($"quorum needs {threshold} signatures from the signer set, got {quorum.Count}");
    }

    /// <summary>
    /// Signs <paramref name="digest"/> with exactly <paramref name="threshold"/> of <paramref name="keys"/> — the first
    /// ones in contract order — and packs them. Only M keys sign, and their signatures are not recovered again: the
    /// keys are this process's own, and the native/managed property test pins what they produce.
    /// </summary>
    public static async Task<Quorum> SignAsync(
        IReadOnlyList<Address> signers, IEnumerable<ISigner> keys, int threshold, byte[] digest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(digest);
        ValidateSignerSet(signers, threshold);
        var held = new Dictionary<Address, ISigner>();
        foreach (var key in keys)
        {
            held.TryAdd(key.Address, key);
        }

        var quorum = new QuorumPacker(threshold);
        for (var i = 0; i < signers.Count && !quorum.IsFull; i++)
        {
            if (held.TryGetValue(signers[i], out var key))
            {
                quorum.Add(i, await key.SignHashAsync(digest, cancellationToken).ConfigureAwait(false));
            }
        }

        return quorum.IsFull
            ? quorum.ToQuorum()
            : throw new InvalidOperationException($"quorum needs {threshold} keys of the signer set, this process holds {quorum.Count}");
    }

    /// <summary>Checks the contract's rules for a signer set.</summary>
    public static void ValidateSignerSet(IReadOnlyList<Address> signers, int threshold)
    {
        ArgumentNullException.ThrowIfNull(signers);
        if (signers.Count is 0 or > 32)
        {
            throw new ArgumentException($"the signer set has {signers.Count} members; 1 to 32 are allowed", nameof(signers));
        }

        if (signers.Any(s => s == Address.Zero) || signers.Distinct().Count() != signers.Count)
        {
            throw new ArgumentException("the signer set contains the zero address or a duplicate", nameof(signers));
        }

        if (threshold < 1 || 2 * threshold <= signers.Count || threshold > signers.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, $"threshold must satisfy 2*threshold > {signers.Count} and threshold <= {signers.Count}");
        }
    }
}

/// <summary>Bitmap and compact signatures in ascending signer-index order, filled one signer at a time.</summary>
internal sealed class QuorumPacker(int threshold)
{
    private readonly byte[] _packed = new byte[64 * threshold];
    private BigInteger _bitmap = BigInteger.Zero;

    public int Count { get; private set; }

    public bool IsFull => Count == threshold;

    /// <summary>Adds signer <paramref name="index"/>'s signature; callers add in ascending index order.</summary>
    public void Add(int index, Signature signature)
    {
        _bitmap |= BigInteger.One << index;
        signature.ToCompact().CopyTo(_packed, 64 * Count);
        Count++;
    }

    public Quorum ToQuorum() => new(_bitmap, _packed);
}
