using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Aml.Orleans.Ethereum;

/// <summary>
/// secp256k1 through the C library bitcoin-core ships (Debian's <c>libsecp256k1-1</c>, installed by <c>./aml setup</c>):
/// 25–31 µs per recoverable signature against BouncyCastle's 130–195 µs, with no managed garbage (TOOLCHAIN.md).
/// Its default nonce function is RFC 6979 with HMAC-SHA256 and it always returns low-s, so its signatures are the
/// same bytes as <see cref="Secp256k1Managed"/>'s; a property test holds the two to that.
/// </summary>
public static partial class Secp256k1Native
{
    private const string Library = "libsecp256k1.so.1";

    // SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY; 0.2 ignores the capability bits, older builds need them.
    private const uint ContextSignAndVerify = 0x0301;
    private const uint SerializeUncompressed = 0x0002;

    // One context for the process: after creation and randomisation it is only read, which the library allows
    // from many threads at once.
    private static readonly Lazy<IntPtr> Context = new(CreateContext, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Whether the library could be loaded; when it cannot, <see cref="Secp256k1"/> uses BouncyCastle.</summary>
    public static bool IsAvailable { get; } = Probe();

    /// <summary>Signs a 32-byte hash with RFC 6979 nonces; null in the ~2^-128 case whose R cannot be encoded in a 0/1 recovery id.</summary>
    public static unsafe Signature? Sign(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> privateKey)
    {
        Span<byte> signature = stackalloc byte[65];
        Span<byte> compact = stackalloc byte[64];
        int recoveryId;
        fixed (byte* sig = signature, hash = hash32, key = privateKey, output = compact)
        {
            if (secp256k1_ecdsa_sign_recoverable(Context.Value, sig, hash, key, IntPtr.Zero, IntPtr.Zero) != 1)
            {
                throw new ArgumentException("libsecp256k1 refused the private key", nameof(privateKey));
            }

            _ = secp256k1_ecdsa_recoverable_signature_serialize_compact(Context.Value, output, &recoveryId, sig);
        }

        // Recovery ids 2 and 3 mean R.x ≥ n; the managed signer takes the next nonce there, so defer to it.
        return recoveryId > 1 ? null : new Signature(compact[..32], compact[32..], (byte)recoveryId);
    }

    /// <summary>The uncompressed public key x ‖ y (64 bytes) of a valid private key.</summary>
    public static unsafe byte[] PublicKey(ReadOnlySpan<byte> privateKey)
    {
        Span<byte> publicKey = stackalloc byte[64];
        Span<byte> serialized = stackalloc byte[65];
        nuint length = 65;
        fixed (byte* pub = publicKey, key = privateKey, output = serialized)
        {
            if (secp256k1_ec_pubkey_create(Context.Value, pub, key) != 1)
            {
                throw new ArgumentException("libsecp256k1 refused the private key", nameof(privateKey));
            }

            _ = secp256k1_ec_pubkey_serialize(Context.Value, output, &length, pub, SerializeUncompressed);
        }

        return serialized[1..].ToArray();
    }

    /// <summary>The uncompressed public key (64 bytes) that made <paramref name="signature"/> over a 32-byte hash.</summary>
    public static unsafe byte[] RecoverPublicKey(ReadOnlySpan<byte> hash32, Signature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        Span<byte> compact = stackalloc byte[64];
        signature.R.CopyTo(compact);
        signature.S.CopyTo(compact[32..]);
        Span<byte> parsed = stackalloc byte[65];
        Span<byte> publicKey = stackalloc byte[64];
        Span<byte> serialized = stackalloc byte[65];
        nuint length = 65;
        fixed (byte* input = compact, sig = parsed, pub = publicKey, hash = hash32, output = serialized)
        {
            if (secp256k1_ecdsa_recoverable_signature_parse_compact(Context.Value, sig, input, signature.RecoveryId) != 1 ||
                secp256k1_ecdsa_recover(Context.Value, pub, sig, hash) != 1)
            {
                throw new ArgumentException("signature does not recover to a public key", nameof(signature));
            }

            _ = secp256k1_ec_pubkey_serialize(Context.Value, output, &length, pub, SerializeUncompressed);
        }

        return serialized[1..].ToArray();
    }

    private static bool Probe()
    {
        try
        {
            return Context.Value != IntPtr.Zero;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static unsafe IntPtr CreateContext()
    {
        var context = secp256k1_context_create(ContextSignAndVerify);
        // Blinding against side channels; it changes no signature (nonces stay RFC 6979).
        Span<byte> seed = stackalloc byte[32];
        RandomNumberGenerator.Fill(seed);
        fixed (byte* s = seed)
        {
            _ = secp256k1_context_randomize(context, s);
        }

        return context;
    }

    [LibraryImport(Library)]
    private static partial IntPtr secp256k1_context_create(uint flags);

    [LibraryImport(Library)]
    private static unsafe partial int secp256k1_context_randomize(IntPtr context, byte* seed32);

    [LibraryImport(Library)]
    private static unsafe partial int secp256k1_ecdsa_sign_recoverable(IntPtr context, byte* signature65, byte* hash32, byte* key32, IntPtr nonceFunction, IntPtr nonceData);

    [LibraryImport(Library)]
    private static unsafe partial int secp256k1_ecdsa_recoverable_signature_serialize_compact(IntPtr context, byte* output64, int* recoveryId, byte* signature65);

    [LibraryImport(Library)]
    private static unsafe partial int secp256k1_ecdsa_recoverable_signature_parse_compact(IntPtr context, byte* signature65, byte* input64, int recoveryId);

    [LibraryImport(Library)]
    private static unsafe partial int secp256k1_ecdsa_recover(IntPtr context, byte* publicKey64, byte* signature65, byte* hash32);

    [LibraryImport(Library)]
    private static unsafe partial int secp256k1_ec_pubkey_create(IntPtr context, byte* publicKey64, byte* key32);

    [LibraryImport(Library)]
    private static unsafe partial int secp256k1_ec_pubkey_serialize(IntPtr context, byte* output, nuint* outputLength, byte* publicKey64, uint flags);
}
