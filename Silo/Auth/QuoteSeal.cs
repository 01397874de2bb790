using System.Security.Cryptography;
using System.Text;
using Aml.Orleans.Ethereum;

namespace Aml.Orleans.Silo.Auth;

/// <summary>
/// Quotes are not stored: the gateway hands the decision out with an HMAC over its digest (the key every silo shares
/// for sign-in) and takes it back at open only with that seal, so a trader cannot open terms the risk engine did not give.
/// </summary>
public sealed class QuoteSeal(WalletSignIn signIn)
{
    /// <summary>The seal over <paramref name="digest"/> (0x hex).</summary>
    public string Seal(string digest) =>
        Hex.Encode(HMACSHA256.HashData(signIn.SigningKey.Key, Encoding.UTF8.GetBytes("aml-quote|" + digest.ToLowerInvariant())));

    /// <summary>True when <paramref name="seal"/> is this gateway's seal over <paramref name="digest"/>.</summary>
    public bool Verify(string digest, string seal) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Seal(digest)), Encoding.ASCII.GetBytes(seal ?? ""));
}
