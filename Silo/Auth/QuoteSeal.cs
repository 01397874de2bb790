using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using Orleans.Serialization;

namespace Aml.Orleans.Silo.Auth;

/// <summary>
/// Quotes are not stored: the gateway hands the decision out with a token, <c>{inputs}.{seal}</c>, and takes the
/// decision back at open only with it. <c>inputs</c> is what the risk engine computed the decision from (base64url of
/// their serialized form), <c>seal</c> an HMAC over the digest and those bytes with the key every silo shares for
/// sign-in: a trader cannot open terms the risk engine did not give, nor bring back inputs of another quote, and the
/// outcome store gets the quote's exact inputs however long after the quote the open comes.
/// </summary>
public sealed class QuoteSeal(WalletSignIn signIn, Serializer<DecisionInputs> serializer)
{
    /// <summary>The token for the quote of <paramref name="digest"/> (0x hex) computed from <paramref name="inputs"/>.</summary>
    public string Seal(string digest, DecisionInputs? inputs)
    {
        var payload = inputs is null ? [] : serializer.SerializeToArray(inputs);
        return Base64Url.EncodeToString(payload) + "." + Mac(digest, payload);
    }

    /// <summary>
    /// True when <paramref name="token"/> is this gateway's token for <paramref name="digest"/>; then
    /// <paramref name="inputs"/> are the quote's inputs (null when it carried none).
    /// </summary>
    public bool TryOpen(string digest, string? token, out DecisionInputs? inputs)
    {
        inputs = null;
        var dot = token?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (dot < 0 || !Base64Url.IsValid(token.AsSpan(0, dot)))
        {
            return false;
        }

        var payload = Base64Url.DecodeFromChars(token.AsSpan(0, dot));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Mac(digest, payload)), Encoding.ASCII.GetBytes(token![(dot + 1)..])))
        {
            return false;
        }

        inputs = payload.Length == 0 ? null : serializer.Deserialize(payload); // sealed by us: well-formed
        return true;
    }

    private string Mac(string digest, byte[] payload) =>
        Hex.Encode(HMACSHA256.HashData(signIn.SigningKey.Key, (byte[])[.. Encoding.UTF8.GetBytes("aml-quote|" + digest.ToLowerInvariant() + "|"), .. payload]));
}
