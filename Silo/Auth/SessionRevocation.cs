using System.Security.Claims;
using Aml.Orleans.Grains.Interfaces;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Aml.Orleans.Silo.Auth;

/// <summary>
/// Sign-out ends an admin session on every silo, not only the browser's cookie: the token's id (<c>jti</c>) is used up in
/// a cluster-wide, persisted single-use grain, and every admin token is checked against it when presented. Only admin
/// tokens are checked: admin calls are rare, a trader's quotes should not pay a grain call each, and only the admin
/// console signs out today.
/// </summary>
internal static class SessionRevocation
{
    /// <summary>Ends the session of <paramref name="user"/>'s token (a token without an id has no session to end).</summary>
    public static async Task RevokeAsync(IGrainFactory grains, ClaimsPrincipal user)
    {
        if (user.FindFirst(JwtRegisteredClaimNames.Jti)?.Value is { Length: > 0 } jti)
        {
            await SessionOf(grains, jti).TryConsumeAsync();
        }
    }

    /// <summary>Why <paramref name="user"/>'s admin token may not be used any more, or null while it may.</summary>
    public static async Task<string?> RefusalAsync(IGrainFactory grains, ClaimsPrincipal user)
    {
        if (!user.IsInRole(WalletSignIn.AdminRole))
        {
            return null;
        }

        var jti = user.FindFirst(JwtRegisteredClaimNames.Jti)?.Value;
        if (string.IsNullOrEmpty(jti))
        {
            return "the admin token names no session (jti), so sign-out could not end it: sign in again";
        }

        return await SessionOf(grains, jti).IsUsedAsync() ? "the admin session was signed out: sign in again" : null;
    }

    private static ISingleUseGrain SessionOf(IGrainFactory grains, string jti) => grains.GetGrain<ISingleUseGrain>("session:" + jti);
}

/// <summary>A validly signed admin token whose session was signed out, or that names no session.</summary>
public sealed class SessionEndedException(string message) : SecurityTokenException(message);
