namespace Aml.Orleans.Ethereum;

/// <summary>
/// Signs 32-byte digests for one address. The only key operation the library needs, so a remote or KMS signer
/// can stand in for <see cref="LocalKeySigner"/> by implementing this interface.
/// </summary>
public interface ISigner
{
    /// <summary>The address whose key signs.</summary>
    Address Address { get; }

    /// <summary>Signs a 32-byte digest as is (no prefix, no further hashing); the result is low-s with a recovery id.</summary>
    ValueTask<Signature> SignHashAsync(ReadOnlyMemory<byte> hash32, CancellationToken cancellationToken = default);
}

/// <summary>A signer holding a private key in process memory (dev and tests; production keys belong in a KMS).</summary>
public sealed class LocalKeySigner : ISigner
{
    private readonly byte[] _privateKey;

    /// <summary>Uses a copy of a 32-byte private key.</summary>
    public LocalKeySigner(ReadOnlySpan<byte> privateKey)
    {
        if (!Secp256k1.IsValidPrivateKey(privateKey))
        {
            throw new ArgumentException("a private key is 32 bytes with a value in [1, n)", nameof(privateKey));
        }

        _privateKey = privateKey.ToArray();
        Address = Address.FromPublicKey(Secp256k1.PublicKey(_privateKey));
    }

    /// <summary>Parses a hex private key (with or without 0x).</summary>
    public static LocalKeySigner FromHex(string privateKeyHex) => new(Hex.Decode(privateKeyHex));

    /// <inheritdoc/>
    public Address Address { get; }

    /// <summary>Signs synchronously; the hot path for batch signing needs no task allocation.</summary>
    public Signature SignHash(ReadOnlySpan<byte> hash32) => Secp256k1.Sign(hash32, _privateKey);

    /// <inheritdoc/>
    public ValueTask<Signature> SignHashAsync(ReadOnlyMemory<byte> hash32, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(SignHash(hash32.Span));
    }

    /// <summary>Never prints the key.</summary>
    public override string ToString() => $"LocalKeySigner({Address})";
}

/// <summary>EIP-191 version 0x45 ("personal_sign") messages.</summary>
public static class PersonalMessage
{
    /// <summary><c>keccak256("\x19Ethereum Signed Message:\n" + len(message) + message)</c>.</summary>
    public static byte[] Hash(ReadOnlySpan<byte> message)
    {
        var prefix = System.Text.Encoding.ASCII.GetBytes($"\u0019Ethereum Signed Message:\n{message.Length}");
        var buffer = new byte[prefix.Length + message.Length];
        prefix.CopyTo(buffer, 0);
        message.CopyTo(buffer.AsSpan(prefix.Length));
        return Keccak.Hash(buffer);
    }

    /// <summary>The hash of a UTF-8 text message.</summary>
    public static byte[] Hash(string message) => Hash(System.Text.Encoding.UTF8.GetBytes(message));
}
