using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Silo.Services;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Aml.Orleans.Silo.Auth;

/// <summary>
/// Wallet sign-in: a challenge (EIP-4361 text with an HMAC nonce, so any silo can check it), the wallet's
/// <c>personal_sign</c> over it, and a short-lived HS256 JWT whose subject is the checksummed address.
/// </summary>
public sealed class WalletSignIn
{
    /// <summary>Issuer and audience of the tokens.</summary>
    public const string Issuer = "aml";

    /// <summary>The role claim value of administrators.</summary>
    public const string AdminRole = "admin";

    private readonly AuthOptions _options;
    private readonly ulong _chainId;
    private readonly IGrainFactory _grains;
    private readonly TimeProvider _clock;
    private readonly HashSet<Address> _admins;

    /// <summary>Creates the sign-in service for one chain.</summary>
    public WalletSignIn(IOptions<AuthOptions> options, IGrainFactory grains, TimeProvider clock, ChainIdentity chain)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(chain);
        _options = options.Value;
        _grains = grains;
        _clock = clock;
        _chainId = chain.ChainId;
        SigningKey = new SymmetricSecurityKey(KeyBytes(_options.SigningKey));
        _admins = [.. _options.Admins.Concat(chain.Admins).Select(Address.Parse)];
    }

    /// <summary>The key tokens are signed and checked with.</summary>
    public SymmetricSecurityKey SigningKey { get; }

    /// <summary>A fresh challenge for <paramref name="address"/>.</summary>
    public SignInMessage Challenge(string address)
    {
        var parsed = ParseAddress(address, "address");
        var issued = TruncateToSeconds(_clock.GetUtcNow());
        var expires = issued + _options.ChallengeLifetime;
        var salt = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        return new SignInMessage(_options.Domain, parsed.ToString(), _options.Uri, _chainId, Nonce(salt, parsed, issued, expires), issued, expires);
    }

    /// <summary>Checks a signed challenge and issues a token; throws INVALID_ARGUMENT / UNAUTHENTICATED naming the problem.</summary>
    public async Task<(string Token, DateTimeOffset ExpiresAt, Address Address, bool IsAdmin)> SignInAsync(string messageText, string signatureHex)
    {
        var message = SignInMessage.TryParse(messageText ?? "") ?? throw RpcErrors.InvalidArgument("message", "not a challenge issued by this gateway");
        var address = ParseAddress(message.Address, "message");
        if (message.Domain != _options.Domain || message.Uri != _options.Uri || message.ChainId != _chainId ||
            message.Nonce.Length != 48 || message.Nonce != Nonce(message.Nonce[..16], address, message.IssuedAt, message.ExpiresAt))
        {
            throw RpcErrors.Unauthenticated("the challenge was not issued by this gateway or was altered");
        }

        if (_clock.GetUtcNow() > message.ExpiresAt)
        {
            throw RpcErrors.Unauthenticated($"the challenge expired at {message.ExpiresAt:O}: ask for a new one");
        }

        Address signer;
        try
        {
            signer = Secp256k1.RecoverAddress(PersonalMessage.Hash(messageText!), Signature.FromRsv(Hex.Decode(signatureHex ?? "")));
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            throw RpcErrors.InvalidArgument("signature", "not a 65-byte r|s|v signature in 0x hex");
        }

        if (signer != address)
        {
            throw RpcErrors.Unauthenticated($"the signature is from {signer}, not {address}");
        }

        if (!await _grains.GetGrain<ISingleUseGrain>("sign-in:" + message.Nonce).TryConsumeAsync())
        {
            throw RpcErrors.Unauthenticated("this challenge was used already: ask for a new one");
        }

        var isAdmin = _admins.Contains(address);
        var expiresAt = TruncateToSeconds(_clock.GetUtcNow()) + _options.TokenLifetime;
        var claims = new List<Claim>
        {
            new(JwtRegisteredClaimNames.Sub, address.ToString()),
            new(JwtRegisteredClaimNames.Jti, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))), // what sign-out ends
        };
        if (isAdmin)
        {
            claims.Add(new Claim("role", AdminRole));
        }

        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Issuer,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = _clock.GetUtcNow().UtcDateTime,
            NotBefore = _clock.GetUtcNow().UtcDateTime,
            Expires = expiresAt.UtcDateTime,
            SigningCredentials = new SigningCredentials(SigningKey, SecurityAlgorithms.HmacSha256),
        });
        return (token, expiresAt, address, isAdmin);
    }

    /// <summary>The parameters the JWT bearer handler checks tokens with.</summary>
    public TokenValidationParameters ValidationParameters() => new()
    {
        ValidIssuer = Issuer,
        ValidAudience = Issuer,
        IssuerSigningKey = SigningKey,
        NameClaimType = JwtRegisteredClaimNames.Sub,
        RoleClaimType = "role",
        ClockSkew = TimeSpan.FromSeconds(5),
    };

    /// <summary>
    /// A random salt (16 hex digits, so two challenges in one second differ) followed by an HMAC over the salt and the
    /// challenge's fields: any silo holding the key can tell its own challenges, no state needed until one is used.
    /// </summary>
    private string Nonce(string salt, Address address, DateTimeOffset issued, DateTimeOffset expires)
    {
        var input = Encoding.UTF8.GetBytes($"{salt}|{address.ToLowerHex()}|{issued.ToUnixTimeSeconds()}|{expires.ToUnixTimeSeconds()}");
        return salt + Convert.ToHexStringLower(HMACSHA256.HashData(SigningKey.Key, input).AsSpan(0, 16));
    }

    private static Address ParseAddress(string text, string field)
    {
        try
        {
            return Address.Parse(text);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            throw RpcErrors.InvalidArgument(field, $"'{text}' is not an address: {ex.Message}");
        }
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset t) => DateTimeOffset.FromUnixTimeSeconds(t.ToUnixTimeSeconds());

    private static byte[] KeyBytes(string configured)
    {
        if (string.IsNullOrEmpty(configured))
        {
            return RandomNumberGenerator.GetBytes(32);
        }

        var key = Convert.FromBase64String(configured);
        return key.Length >= 32 ? key : throw new InvalidOperationException("Aml:Auth:SigningKey must hold at least 32 bytes (base64)");
    }
}

/// <summary>The chain the gateway signs people in for, and its on-chain admin addresses.</summary>
public sealed record ChainIdentity(ulong ChainId, IReadOnlyList<string> Admins);
