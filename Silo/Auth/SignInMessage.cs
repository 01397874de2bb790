using System.Globalization;
using System.Text;

namespace Aml.Orleans.Silo.Auth;

/// <summary>
/// An EIP-4361 ("Sign-In with Ethereum") message: the exact text a wallet signs with <c>personal_sign</c>. Parsing
/// is strict: the server compares the fields it issued, so any edit to the text fails the sign-in.
/// </summary>
public sealed record SignInMessage(
    string Domain, string Address, string Uri, ulong ChainId, string Nonce, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt)
{
    private const string Statement = "Sign in to the Autonomous Margin Layer.";

    /// <summary>The text to sign.</summary>
    public override string ToString() => new StringBuilder()
        .Append(Domain).Append(" wants you to sign in with your Ethereum account:\n")
        .Append(Address).Append("\n\n")
        .Append(Statement).Append("\n\n")
        .Append("URI: ").Append(Uri).Append('\n')
        .Append("Version: 1\n")
        .Append("Chain ID: ").Append(ChainId.ToString(CultureInfo.InvariantCulture)).Append('\n')
        .Append("Nonce: ").Append(Nonce).Append('\n')
        .Append("Issued At: ").Append(IssuedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)).Append('\n')
        .Append("Expiration Time: ").Append(ExpiresAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture))
        .ToString();

    /// <summary>Parses a message this server issued; null when the text is not in that exact form.</summary>
    public static SignInMessage? TryParse(string text)
    {
        var lines = text.Split('\n');
        const string header = " wants you to sign in with your Ethereum account:";
        if (lines.Length != 11 || !lines[0].EndsWith(header, StringComparison.Ordinal) || lines[2].Length != 0 || lines[3] != Statement ||
            lines[4].Length != 0 || lines[6] != "Version: 1")
        {
            return null;
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines[5..])
        {
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon > 0)
            {
                fields[line[..colon]] = line[(colon + 2)..];
            }
        }

        if (!fields.TryGetValue("URI", out var uri) || !fields.TryGetValue("Nonce", out var nonce) ||
            !ulong.TryParse(fields.GetValueOrDefault("Chain ID"), NumberStyles.None, CultureInfo.InvariantCulture, out var chainId) ||
            !DateTimeOffset.TryParse(fields.GetValueOrDefault("Issued At"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var issued) ||
            !DateTimeOffset.TryParse(fields.GetValueOrDefault("Expiration Time"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expires))
        {
            return null;
        }

        var parsed = new SignInMessage(lines[0][..^header.Length], lines[1], uri, chainId, nonce, issued, expires);
        return parsed.ToString() == text ? parsed : null; // byte for byte what we would have issued
    }
}
