using Aml.Orleans.Silo.Extensions;

namespace Aml.Orleans.Silo.Auth;

/// <summary>
/// The browser's admin session: a browser cannot send an <c>Authorization</c> header when it opens the dashboard's URL,
/// so an admin's sign-in on the admin port also sets the same JWT as an HTTP-only, SameSite=Strict cookie (Secure over
/// https). The cookie counts on the admin port only (a browser sends a host's cookies to each of its ports), and the
/// bearer header, when present, wins: the CLI keeps working unchanged.
/// </summary>
public sealed class AdminSession(AmlHostOptions host)
{
    /// <summary>The cookie's name.</summary>
    public const string CookieName = "aml_admin";

    /// <summary>True when the request came in on the admin port.</summary>
    public bool IsAdminPort(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.Connection.LocalPort == host.AdminPort;
    }

    /// <summary>Sets the session cookie to <paramref name="token"/>, dying with the token.</summary>
    public static void Issue(HttpContext http, string token, DateTimeOffset expiresAt)
    {
        ArgumentNullException.ThrowIfNull(http);
        http.Response.Cookies.Append(CookieName, token, Options(http, expiresAt));
    }

    /// <summary>Clears the session cookie (sign-out).</summary>
    public static void Clear(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        http.Response.Cookies.Delete(CookieName, Options(http, null));
    }

    /// <summary>
    /// The token the cookie carries, when this request may use it: on the admin port, without a bearer header, and not
    /// sent by another origin (SameSite=Strict still lets the trader port's pages, same site, send it; their Origin
    /// names the other port).
    /// </summary>
    public string? TokenFor(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (!IsAdminPort(http) || http.Request.Headers.Authorization.Count > 0 ||
            !http.Request.Cookies.TryGetValue(CookieName, out var token) || string.IsNullOrEmpty(token))
        {
            return null;
        }

        var origin = http.Request.Headers.Origin.ToString();
        return origin.Length == 0 || string.Equals(origin, $"{http.Request.Scheme}://{http.Request.Host}", StringComparison.OrdinalIgnoreCase)
            ? token
            : null;
    }

    private static CookieOptions Options(HttpContext http, DateTimeOffset? expiresAt) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = http.Request.IsHttps,
        Path = "/",
        Expires = expiresAt,
        IsEssential = true,
    };
}
