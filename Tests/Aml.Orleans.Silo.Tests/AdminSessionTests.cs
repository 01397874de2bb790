using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Aml.Orleans.Ethereum;

namespace Aml.Orleans.Silo.Tests;

/// <summary>
/// The browser's admin console: sign-in on the admin port sets an HTTP-only session cookie the dashboard and the admin
/// REST routes accept there; the trader port serves neither the dashboard nor /metrics and ignores the cookie.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class AdminSessionTests(GatewayFixture fixture)
{
    private const string CookieName = "aml_admin";

    [Fact]
    public async Task SignIn_AdminOnAdminPort_CookieOpensDashboardAndAdminRoutes()
    {
        var (browser, cookies) = Browser(fixture.AdminBase);
        using var _ = browser;

        var signIn = await SignInAsync(browser, 0);
        var setCookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(CookieName + "=", StringComparison.Ordinal));
        var dashboard = await browser.GetAsync(new Uri("/dashboard/", UriKind.Relative));
        var governance = await browser.GetAsync(new Uri("/v1/admin/governance", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", setCookie.Replace("samesite", "", StringComparison.OrdinalIgnoreCase), StringComparison.OrdinalIgnoreCase); // plain http here
        Assert.Equal((string)(await signIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!, cookies.GetCookies(fixture.AdminBase)[CookieName]!.Value);
        Assert.True(dashboard.IsSuccessStatusCode, $"dashboard with the session cookie: {(int)dashboard.StatusCode}");
        Assert.True(governance.IsSuccessStatusCode, $"admin REST with the session cookie: {(int)governance.StatusCode} {await governance.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task SignIn_NonAdminOnAdminPort_ForbiddenSayingWhyAndNoCookie()
    {
        var (browser, cookies) = Browser(fixture.AdminBase);
        using var _ = browser;

        var signIn = await SignInAsync(browser, 6);
        var body = await signIn.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, signIn.StatusCode);
        Assert.Contains($"{fixture.Chain.Signer(6).Address} is not an administrator", body, StringComparison.Ordinal);
        Assert.Empty(cookies.GetCookies(fixture.AdminBase));
    }

    [Fact]
    public async Task Dashboard_MissingExpiredForgedOrTraderCookie_Refused()
    {
        var admin = fixture.Chain.Signer(0).Address.ToString();
        var expired = Jwt(new { sub = admin, role = "admin", iss = "aml", aud = "aml", iat = Now() - 3600, nbf = Now() - 3600, exp = Now() - 600 }, fixture.AuthSigningKey);
        var forged = Jwt(new { sub = admin, role = "admin", iss = "aml", aud = "aml", iat = Now(), nbf = Now(), exp = Now() + 600 }, RandomNumberGenerator.GetBytes(32));
        var trader = (await fixture.SignInAsync(6)).Single(h => h.Key == "authorization").Value["Bearer ".Length..];

        var missing = await DashboardWithCookieAsync(null);
        var expiredAnswer = await DashboardWithCookieAsync(expired);
        var forgedAnswer = await DashboardWithCookieAsync(forged);
        var traderAnswer = await DashboardWithCookieAsync(trader);

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Contains("no admin session", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, expiredAnswer.StatusCode);
        Assert.Contains("the admin session expired", await expiredAnswer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, forgedAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, traderAnswer.StatusCode);
        Assert.Contains("needs the admin role", await traderAnswer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TraderPort_MetricsAndDashboardGoneAndCookieIgnored()
    {
        var (browser, _) = Browser(fixture.AdminBase);
        using var __ = browser;
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(browser, 0)).StatusCode);
        var bearer = (await fixture.SignInAsync(0)).Single(h => h.Key == "authorization").Value;

        // The same cookie jar: a browser sends a host's cookies to every port of it.
        var traderDashboard = await browser.GetAsync(new Uri(fixture.HttpBase, "/dashboard/"));
        var traderMetrics = await browser.GetAsync(new Uri(fixture.HttpBase, "/metrics"));
        using var withBearer = new HttpRequestMessage(HttpMethod.Get, new Uri(fixture.HttpBase, "/dashboard/")) { Headers = { { "Authorization", bearer } } };
        var traderDashboardWithBearer = await browser.SendAsync(withBearer);
        var traderAdminRoute = await browser.GetAsync(new Uri(fixture.HttpBase, "/v1/admin/governance"));
        var adminMetrics = await browser.GetAsync(new Uri(fixture.AdminBase, "/metrics"));

        Assert.Equal(HttpStatusCode.NotFound, traderDashboard.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, traderMetrics.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, traderDashboardWithBearer.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, traderAdminRoute.StatusCode);
        Assert.Equal(HttpStatusCode.OK, adminMetrics.StatusCode);
        Assert.Contains("aml_", await adminMetrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignOut_ClearsTheCookieAndEndsTheToken_DashboardAndBearerRefusedAgain()
    {
        var (browser, cookies) = Browser(fixture.AdminBase);
        using var _ = browser;
        var signIn = await SignInAsync(browser, 0);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var token = (await signIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        var otherSession = (await fixture.SignInAsync(0)).Single(h => h.Key == "authorization").Value["Bearer ".Length..];
        Assert.True((await browser.GetAsync(new Uri("/dashboard/", UriKind.Relative))).IsSuccessStatusCode);
        Assert.True((await AdminRouteWithBearerAsync(token)).IsSuccessStatusCode);

        var signOut = await browser.PostAsync(new Uri("/v1/auth/sign-out", UriKind.Relative), null);
        var after = await browser.GetAsync(new Uri("/dashboard/", UriKind.Relative));
        var stolenCopy = await AdminRouteWithBearerAsync(token); // the same token kept elsewhere, e.g. copied from the browser
        var again = await browser.PostAsync(new Uri("/v1/auth/sign-out", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        Assert.Null(cookies.GetCookies(fixture.AdminBase)[CookieName]);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, stolenCopy.StatusCode);
        Assert.Contains("the admin session was signed out", await stolenCopy.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode); // nothing left to end is no error
        Assert.True((await AdminRouteWithBearerAsync(otherSession)).IsSuccessStatusCode, "another sign-in of the same admin lives on");
    }

    [Fact]
    public async Task OracleBacklog_AdminSession_OldestUnsettledFirstAndBadLimitRefused()
    {
        var (browser, _) = Browser(fixture.AdminBase);
        using var __ = browser;
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(browser, 0)).StatusCode);
        // Two decisions older than any the other tests make: a sent one waiting for its receipt, a queued one.
        var position = "0x" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var (sent, queued, tx) = (RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));
        const string Insert = "INSERT INTO aml_audit_decision (decision_digest, position_id, kind, features_hash, model_hash, signer_bitmap, tx_hash, status, created_at) " +
            "VALUES (@digest, @position, 'OPEN', @digest, @digest, 7, @tx, @status, now() - make_interval(days => @days))";
        await fixture.Database.ExecuteAsync(Insert, ("digest", sent), ("position", position), ("tx", tx), ("status", "SENT"), ("days", 20));
        await fixture.Database.ExecuteAsync(Insert, ("digest", queued), ("position", position), ("tx", DBNull.Value), ("status", "QUEUED"), ("days", 19));
        try
        {
            var backlog = await browser.GetFromJsonAsync<JsonElement>(new Uri("/v1/admin/oracle/backlog?limit=2", UriKind.Relative));
            var tooMany = await browser.GetAsync(new Uri("/v1/admin/oracle/backlog?limit=201", UriKind.Relative));

            var oldest = backlog.GetProperty("oldest").EnumerateArray().ToList();
            Assert.Equal([Hex.Encode(sent), Hex.Encode(queued)], oldest.Select(e => e.GetProperty("decisionDigest").GetString()));
            Assert.Equal(["SENT", "QUEUED"], oldest.Select(e => e.GetProperty("status").GetString()));
            Assert.Equal(Hex.Encode(tx), oldest[0].GetProperty("transactionHash").GetString());
            Assert.Equal(position, oldest[1].GetProperty("positionId").GetString());
            Assert.True(backlog.GetProperty("oldestAgeSeconds").GetDouble() >= TimeSpan.FromDays(20).TotalSeconds - 60, backlog.ToString());
            Assert.True(backlog.GetProperty("queued").GetInt32() >= 1 && backlog.GetProperty("sent").GetInt32() >= 1, backlog.ToString());
            Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
            Assert.Contains("limit: 201 is above 200", await tooMany.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            await fixture.Database.ExecuteAsync("DELETE FROM aml_audit_decision WHERE position_id = @position", ("position", position));
        }
    }

    /// <summary>An HTTP client with a cookie jar, as a browser tab on <paramref name="origin"/>.</summary>
    private static (HttpClient Client, CookieContainer Cookies) Browser(Uri origin)
    {
        var cookies = new CookieContainer();
        return (new HttpClient(new HttpClientHandler { CookieContainer = cookies, UseCookies = true }) { BaseAddress = origin }, cookies);
    }

    /// <summary>The web page's sign-in over REST: challenge, personal_sign, sign-in; the sign-in response as it came.</summary>
    private async Task<HttpResponseMessage> SignInAsync(HttpClient browser, int account)
    {
        var wallet = fixture.Chain.Signer(account);
        var challenge = await browser.PostAsJsonAsync(new Uri("/v1/auth/challenge", UriKind.Relative), new { address = wallet.Address.ToString() });
        challenge.EnsureSuccessStatusCode();
        var message = (await challenge.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("message").GetString()!;
        var signature = Hex.Encode(wallet.SignHash(PersonalMessage.Hash(message)).ToRsv());
        return await browser.PostAsJsonAsync(new Uri("/v1/auth/sign-in", UriKind.Relative), new { message, signature });
    }

    private async Task<HttpResponseMessage> AdminRouteWithBearerAsync(string token)
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = fixture.AdminBase };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/v1/admin/governance", UriKind.Relative)) { Headers = { { "Authorization", "Bearer " + token } } };
        return await http.SendAsync(request);
    }

    private async Task<HttpResponseMessage> DashboardWithCookieAsync(string? token)
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = fixture.AdminBase };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/");
        if (token is not null)
        {
            request.Headers.Add("Cookie", $"{CookieName}={token}");
        }

        return await http.SendAsync(request);
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>An HS256 JWT over <paramref name="claims"/>, as the gateway writes them.</summary>
    private static string Jwt(object claims, byte[] key)
    {
        static string Segment(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var unsigned = Segment(JsonSerializer.SerializeToUtf8Bytes(new { alg = "HS256", typ = "JWT" })) + "." + Segment(JsonSerializer.SerializeToUtf8Bytes(claims));
        return unsigned + "." + Segment(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(unsigned)));
    }
}
