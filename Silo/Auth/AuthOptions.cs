namespace Aml.Orleans.Silo.Auth;

/// <summary>Wallet sign-in settings (section <c>Aml:Auth</c>).</summary>
public sealed class AuthOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Aml:Auth";

    /// <summary>The domain named in the sign-in message (EIP-4361 <c>domain</c>).</summary>
    public string Domain { get; set; } = "localhost";

    /// <summary>The URI named in the sign-in message.</summary>
    public string Uri { get; set; } = "http://localhost:8081";

    /// <summary>
    /// HMAC key (base64, ≥ 32 bytes) for nonces and tokens, shared by every silo; from a secret. When empty, each
    /// process draws a random one: fine for one local silo, tokens then die with it.
    /// </summary>
    public string SigningKey { get; set; } = "";

    /// <summary>How long a challenge may wait for its signature.</summary>
    public TimeSpan ChallengeLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a token lives.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Addresses with the admin role (the deployment's admin and guardian are added).</summary>
    public IList<string> Admins { get; } = [];
}
