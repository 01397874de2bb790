using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Aml.Orleans.Client;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Tests;
using Aml.Orleans.Protos;
using Grpc.Core;

namespace Aml.Orleans.Silo.Tests;

/// <summary>
/// What a new user hit (issue 18), each pinned by the request that showed it: over REST as a browser sends it, over
/// gRPC as the CLI does, and through the CLI process itself.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed partial class GatewayDefectTests(GatewayFixture fixture)
{
    private const string Asset = "BTC-USD";
    private const long EntryE8 = 47_000_00000000;

    private Protos.Positions.PositionsClient Positions => new(fixture.Channel);

    [Theory]
    [InlineData("9000000000000000000")]
    [InlineData("4000000000000000000")]
    public async Task RestQuote_CollateralWhoseSizeOverflows_InvalidArgumentNamingCollateral(string collateral)
    {
        await fixture.PriceAsync(Asset, EntryE8);
        using var http = await RestAsync(6);

        var response = await http.PostAsync(new Uri("/v1/quotes", UriKind.Relative), Json(
            $$"""{"asset":"{{Asset}}","isLong":true,"collateral":"{{collateral}}","requestedLeverageX100":"250"}"""));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("collateral:", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RestAdminModels_UnknownMarket_NotFound()
    {
        using var http = await RestAsync(0);

        var response = await http.GetAsync(new Uri("/v1/admin/models/FOO-USD", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("FOO-USD", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RestMarket_Int64Fields_AreJsonStrings()
    {
        await fixture.PriceAsync(Asset, EntryE8);
        using var http = new HttpClient { BaseAddress = fixture.HttpBase };

        using var market = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/v1/markets/{Asset}", UriKind.Relative)));

        Assert.Equal(JsonValueKind.String, market.RootElement.GetProperty("lastPriceE8").ValueKind);
        Assert.Equal(JsonValueKind.String, market.RootElement.GetProperty("ticksAccepted").ValueKind);
    }

    [Fact]
    public async Task Market_ListedMarket_ShowsHaltAndMode()
    {
        var admin = new Protos.Admin.AdminClient(fixture.Channel);
        var markets = new Protos.Markets.MarketsClient(fixture.Channel);
        var headers = await fixture.SignInAsync(0);
        Market during;
        try
        {
            await admin.HaltAsync(new HaltRequest { Reason = "test" }, headers);
            during = await markets.GetMarketAsync(new GetMarketRequest { Asset = Asset });
        }
        finally
        {
            await admin.ResumeAsync(new ResumeRequest(), headers);
        }

        var after = await markets.GetMarketAsync(new GetMarketRequest { Asset = Asset });
        Assert.True(during.Halted);
        Assert.False(after.Halted);
        Assert.Equal("ACTIVE", after.Mode);
    }

    [Fact]
    public async Task Quote_AboveTheMarketsCap_InvalidArgumentNotAnAcceptedFalse()
    {
        await fixture.PriceAsync(Asset, EntryE8);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Positions.QuoteAsync(
            new QuoteRequest { Asset = Asset, IsLong = true, Collateral = 100_000_000, RequestedLeverageX100 = 100_000 }, await fixture.SignInAsync(6)));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("requested_leverage_x100:", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quote_NotOpened_LeavesNoPosition()
    {
        await fixture.PriceAsync(Asset, EntryE8);
        var headers = await fixture.SignInAsync(6);

        var quote = await QuoteAsync(headers, 100_000_000, 200);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Positions.GetAsync(new GetPositionRequest { PositionId = quote.PositionId }, headers));
        var mine = await Positions.ListMineAsync(new ListMineRequest(), headers);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.DoesNotContain(mine.Positions, p => p.PositionId == quote.PositionId);
    }

    [Fact]
    public async Task Open_DecisionAlteredAfterTheQuote_RefusedAndNothingOpened()
    {
        await fixture.PriceAsync(Asset, EntryE8);
        var trader = fixture.Chain.Signer(6);
        var headers = await fixture.SignInAsync(6);
        var quote = await QuoteAsync(headers, 100_000_000, 200);
        var altered = quote.Decision.Clone();
        altered.MaintenanceMarginBps = 50;

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Positions.OpenAsync(new OpenRequest
        {
            PositionId = quote.PositionId, Digest = quote.Digest, Decision = altered, QuoteToken = quote.QuoteToken,
            TraderSignature = Hex.Encode(trader.SignHash(Hex.Decode(quote.Digest)).ToRsv()),
        }, headers));
        var after = await Assert.ThrowsAsync<RpcException>(async () => await Positions.GetAsync(new GetPositionRequest { PositionId = quote.PositionId }, headers));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("decision:", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.NotFound, after.StatusCode);
    }

    [Fact]
    public async Task RequestClose_NotSent_PositionStaysOpenAndTakesTopUps()
    {
        var (id, headers, trader) = await OpenAsync(7, 200_000_000, 200);
        await PriceAsNewAsTheOpenAsync();

        var close = await Positions.RequestCloseAsync(new GetPositionRequest { PositionId = id }, headers);
        var afterClose = await Positions.GetAsync(new GetPositionRequest { PositionId = id }, headers);
        var topUp = await Positions.AddCollateralAsync(new AddCollateralRequest { PositionId = id, Amount = 10_000_000 }, headers);
        await SendAsync(trader, topUp);

        Assert.Equal("Open", afterClose.Status);
        Assert.Equal(close.Digest, afterClose.CloseDigest);
        Assert.Equal(fixture.Chain.Deployment.MarginManager, topUp.To, ignoreCase: true);
        await ClusterFixture.EventuallyAsync(async () => await Positions.GetAsync(new GetPositionRequest { PositionId = id }, headers),
            p => p.Collateral == 210_000_000 && p.Status == "Open", "topped up while a close was requested");
    }

    [Fact]
    public async Task RequestClose_WalletCallSent_ClosedAndWatchEnds()
    {
        var (id, headers, trader) = await OpenAsync(8, 150_000_000, 300);
        await PriceAsNewAsTheOpenAsync();
        using var watch = Positions.Watch(new GetPositionRequest { PositionId = id }, headers, DateTime.UtcNow.AddSeconds(60));

        var close = await Positions.RequestCloseAsync(new GetPositionRequest { PositionId = id }, headers);
        await SendAsync(trader, close.WalletCall);
        var seen = new List<string>();
        while (await watch.ResponseStream.MoveNext(CancellationToken.None))
        {
            seen.Add(watch.ResponseStream.Current.Status);
        }

        Assert.Equal("Closed", seen[^1]); // and the stream ended by itself, well before its deadline
    }

    [Fact]
    public async Task RequestClose_AdminOnAnotherTradersPosition_NotFound()
    {
        var (id, _, _) = await OpenAsync(6, 100_000_000, 200);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await Positions.RequestCloseAsync(new GetPositionRequest { PositionId = id }, await fixture.SignInAsync(0)));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task Open_WhileHalted_RejectedWithTheReasonInWords()
    {
        await fixture.PriceAsync(Asset, EntryE8);
        var admin = new Protos.Admin.AdminClient(fixture.Channel);
        var adminHeaders = await fixture.SignInAsync(0);
        var headers = await fixture.SignInAsync(6);
        var quote = await QuoteAsync(headers, 100_000_000, 200);
        Position rejected;
        try
        {
            await admin.HaltAsync(new HaltRequest { Reason = "test" }, adminHeaders);
            await Positions.OpenAsync(OpenRequestFor(quote, fixture.Chain.Signer(6)), headers);
            rejected = await ClusterFixture.EventuallyAsync(async () => await Positions.GetAsync(new GetPositionRequest { PositionId = quote.PositionId }, headers),
                p => p.Status == "Rejected", "rejected", seconds: 30);
        }
        finally
        {
            await admin.ResumeAsync(new ResumeRequest(), adminHeaders);
        }

        Assert.Contains("trading is halted", rejected.RejectionReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_AboveTheWalletsBalance_RejectedSayingWhatTheWalletHolds()
    {
        await fixture.PriceAsync(Asset, EntryE8);
        var headers = await fixture.SignInAsync(7);
        // 2,000,000 USDC at 1x: above the dev wallet's 1,000,000 but inside BTC-USD's 4,000,000 USDC open-interest cap
        // (scripts/verbs/deploy.sh), so the token's refusal, not the cap's, is what the chain answers.
        var quote = await QuoteAsync(headers, 2_000_000_000_000, 100);

        await Positions.OpenAsync(OpenRequestFor(quote, fixture.Chain.Signer(7)), headers);
        var rejected = await ClusterFixture.EventuallyAsync(async () => await Positions.GetAsync(new GetPositionRequest { PositionId = quote.PositionId }, headers),
            p => p.Status == "Rejected", "rejected", seconds: 30);

        Assert.Matches(UsdcAmount(), rejected.RejectionReason);
        Assert.Contains("the wallet holds", rejected.RejectionReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_PriceMovesWithinTheBands_MarkAndMarginFollow()
    {
        var (id, headers, _) = await OpenAsync(6, 100_000_000, 200);
        var before = await Positions.GetAsync(new GetPositionRequest { PositionId = id }, headers);

        var up = before.MarkPriceE8 + (before.MarkPriceE8 / 500); // +0.2 %: no band is near
        var after = await MarkedAtAsync(id, headers, up, p => p.MarkPriceE8 == up, "mark follows the market");

        Assert.True(after.MarginRatioBps > before.MarginRatioBps, $"{after.MarginRatioBps} > {before.MarginRatioBps}");
        Assert.True(after.Pnl > 0, $"pnl {after.Pnl}");
    }

    [Fact]
    public async Task Suggestion_PastTheWarning_AmountsInUnitsWithTheirScale()
    {
        var (id, headers, _) = await OpenAsync(8, 200_000_000, 1_000);
        var open = await Positions.GetAsync(new GetPositionRequest { PositionId = id }, headers);

        var warned = await MarkedAtAsync(id, headers, (open.WarningPriceE8 + open.LiquidationPriceE8) / 2, p => p.Suggestion != "None", "warned");
        await fixture.PriceAsync(Asset, open.MarkPriceE8); // back to where it was, for the suites after this one

        Assert.Matches(UsdcAmount(), warned.SuggestionReason);
        Assert.Matches(UsdPrice(), warned.SuggestionReason);
        Assert.DoesNotMatch(RawInteger(), warned.SuggestionReason);
    }

    [Fact]
    public async Task Rest_WithoutOrWithBadToken_BodySaysWhy()
    {
        using var http = new HttpClient { BaseAddress = fixture.HttpBase };
        using var trader = await RestAsync(6);

        var anonymous = await http.GetAsync(new Uri("/v1/positions", UriKind.Relative));
        using var garbled = new HttpRequestMessage(HttpMethod.Get, "/v1/positions") { Headers = { { "Authorization", "Bearer not.a.token" } } };
        var bad = await http.SendAsync(garbled);
        var forbidden = await trader.GetAsync(new Uri($"/v1/admin/models/{Asset}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("sign in", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        Assert.Contains("token", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Contains("admin", await forbidden.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grpc_WithoutToken_StatusSaysWhy()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Positions.ListMineAsync(new ListMineRequest()));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("sign in", error.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(GatewayFixture.DevOrigin, true)]
    [InlineData("http://evil.example", false)]
    public async Task Cors_Preflight_OnlyTheDevOriginAllowed(string origin, bool allowed)
    {
        using var http = new HttpClient { BaseAddress = fixture.HttpBase };
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/aml.v1.Markets/ListMarkets")
        {
            Headers = { { "Origin", origin }, { "Access-Control-Request-Method", "POST" }, { "Access-Control-Request-Headers", "content-type,x-grpc-web" } },
        };

        var response = await http.SendAsync(preflight);

        Assert.Equal(allowed, response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) && values.Single() == origin);
    }

    [Fact]
    public async Task Quote_BeyondThePerWalletLimit_ResourceExhaustedAnd429()
    {
        await fixture.PriceAsync(Asset, EntryE8);
        var wallet = new LocalKeySigner(RandomNumberGenerator.GetBytes(32)); // a wallet of its own: its own budget
        var headers = await WalletSignInClient.SignInAsync(fixture.Channel, wallet);
        var request = new QuoteRequest { Asset = Asset, IsLong = true, Collateral = 10_000_000, RequestedLeverageX100 = 200 };
        for (var i = 0; i < GatewayFixture.QuotesPerWalletPerMinute; i++)
        {
            await Positions.QuoteAsync(request, headers);
        }

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Positions.QuoteAsync(request, headers));
        using var http = new HttpClient { BaseAddress = fixture.HttpBase };
        http.DefaultRequestHeaders.Authorization = AuthenticationHeaderValue.Parse(headers.Single(h => h.Key == "authorization").Value);
        var rest = await http.PostAsync(new Uri("/v1/quotes", UriKind.Relative), Json($$"""{"asset":"{{Asset}}","isLong":true,"collateral":"10000000","requestedLeverageX100":"200"}"""));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("quote", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.TooManyRequests, rest.StatusCode);
    }

    [Fact]
    public async Task SignIn_BeyondThePerWalletLimit_ResourceExhausted()
    {
        var auth = new Protos.Auth.AuthClient(fixture.Channel);
        var address = new LocalKeySigner(RandomNumberGenerator.GetBytes(32)).Address.ToString();
        for (var i = 0; i < GatewayFixture.SignInsPerWalletPerMinute; i++)
        {
            await auth.ChallengeAsync(new ChallengeRequest { Address = address });
        }

        var error = await Assert.ThrowsAsync<RpcException>(async () => await auth.ChallengeAsync(new ChallengeRequest { Address = address }));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task RestChallenge_ManyWalletsFromOneAddress_429ForThatAddressOnly()
    {
        // Connect from 127.0.0.2 (all of 127/8 is this host): an address of its own, whose budget the other tests never touch.
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        };
        using var other = new HttpClient(handler) { BaseAddress = fixture.HttpBase };
        using var local = new HttpClient { BaseAddress = fixture.HttpBase };
        var wallets = Enumerable.Range(0, 20).Select(_ => new LocalKeySigner(RandomNumberGenerator.GetBytes(32)).Address.ToString()).ToArray();
        for (var i = 0; i < GatewayFixture.SignInsPerAddressPerMinute; i++)
        {
            var ok = await other.PostAsync(new Uri("/v1/auth/challenge", UriKind.Relative), Json($$"""{"address":"{{wallets[i % wallets.Length]}}"}"""));
            Assert.True(ok.IsSuccessStatusCode, $"challenge {i}: {(int)ok.StatusCode}");
        }

        var refused = await other.PostAsync(new Uri("/v1/auth/challenge", UriKind.Relative), Json($$"""{"address":"{{wallets[0]}}"}"""));
        var elsewhere = await local.PostAsync(new Uri("/v1/auth/challenge", UriKind.Relative), Json($$"""{"address":"{{wallets[0]}}"}"""));

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("127.0.0.2", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, elsewhere.StatusCode);
    }

    [Fact]
    public async Task Cli_HugeCollateral_UsageErrorNamingTheFlag()
    {
        var (exit, _, error) = await fixture.RunCliAsync("quote", "--asset", Asset, "--long", "--collateral", "99999999999999999999", "--leverage", "5", "--key", fixture.Chain.Key(6));

        Assert.Equal(2, exit);
        Assert.Contains("--collateral", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("quote")]
    [InlineData("open")]
    [InlineData("positions")]
    [InlineData("watch")]
    [InlineData("close")]
    [InlineData("add-collateral")]
    [InlineData("train")]
    [InlineData("backtest")]
    public async Task Cli_VerbHelp_PrintsItsUsage(string verb)
    {
        var (exit, output, _) = await fixture.RunCliAsync(verb, "--help");

        Assert.Equal(0, exit);
        Assert.Contains($"aml-cli {verb}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_OpenTopUpClose_IdRoundTripsAndWatchEndsAtClosed()
    {
        await fixture.PriceAsync(Asset, EntryE8);
        string[] common = ["--key", fixture.Chain.Key(8), "--gateway", fixture.GatewayUrl.ToString()];
        string[] chain = ["--rpc", fixture.Chain.Url.ToString()];

        var opened = await fixture.RunCliAsync(["open", "--asset", Asset, "--long", "--collateral", "120", "--leverage", "2", .. common]);
        var id = PositionId().Match(opened.Output).Value;
        var headers = await fixture.SignInAsync(8);
        await ClusterFixture.EventuallyAsync(async () => await Positions.GetAsync(new GetPositionRequest { PositionId = id }, headers), p => p.Status == "Open", "open", seconds: 30);
        var topUp = await fixture.RunCliAsync(["add-collateral", "--position", id, "--amount", "5", .. common, .. chain]);
        await ClusterFixture.EventuallyAsync(async () => await Positions.GetAsync(new GetPositionRequest { PositionId = id }, headers), p => p.Collateral == 125_000_000, "topped up");
        await fixture.PriceAsync(Asset, EntryE8); // a price newer than the top-up: the contract closes at no older one
        var close = await fixture.RunCliAsync(["close", "--position", id, .. common, .. chain]);
        var watch = await fixture.RunCliAsync(["watch", "--position", id, .. common]);

        Assert.True(opened.Exit == 0, opened.Error);
        Assert.True(topUp.Exit == 0, topUp.Error);
        Assert.True(close.Exit == 0, close.Error);
        Assert.True(watch.Exit == 0, watch.Error);
        Assert.Contains(id, watch.Output, StringComparison.Ordinal);
        Assert.Contains("Closed", watch.Output.TrimEnd().Split('\n')[^1], StringComparison.Ordinal);
    }

    private async Task<(string Id, Metadata Headers, LocalKeySigner Trader)> OpenAsync(int traderIndex, long collateral, long leverageX100)
    {
        await fixture.PriceAsync(Asset, EntryE8);
        var trader = fixture.Chain.Signer(traderIndex);
        var headers = await fixture.SignInAsync(traderIndex);
        var quote = await QuoteAsync(headers, collateral, leverageX100);
        await Positions.OpenAsync(OpenRequestFor(quote, trader), headers);
        await ClusterFixture.EventuallyAsync(async () => await Positions.GetAsync(new GetPositionRequest { PositionId = quote.PositionId }, headers),
            p => p.Status == "Open", "open", seconds: 30);
        return (quote.PositionId, headers, trader);
    }

    /// <summary>
    /// Moves the market to <paramref name="priceE8"/>, a move that wakes no position, and waits until the position read
    /// at it satisfies <paramref name="done"/>, the feed ticking on at that price meanwhile as a live one does. A position
    /// not woken takes the market's price as its mark only when the price is newer than its own last update, and the
    /// open's second chain-event delivery (the indexer's or the oracle's relay, whichever comes last, maybe after the
    /// first tick) is such an update.
    /// </summary>
    private Task<Position> MarkedAtAsync(string id, Metadata headers, long priceE8, Func<Position, bool> done, string what) =>
        ClusterFixture.EventuallyAsync(
            async () =>
            {
                await fixture.PriceAsync(Asset, priceE8);
                return await Positions.GetAsync(new GetPositionRequest { PositionId = id }, headers);
            },
            done,
            what);

    /// <summary>A tick no older than the open's block: the engine signs no CLOSE at an older price (the contract would refuse it).</summary>
    private async Task PriceAsNewAsTheOpenAsync()
    {
        await fixture.Chain.WaitForClockAsync();
        await fixture.PriceAsync(Asset, EntryE8);
    }

    private async Task<QuoteResponse> QuoteAsync(Metadata headers, long collateral, long leverageX100)
    {
        var quote = await Positions.QuoteAsync(new QuoteRequest { Asset = Asset, IsLong = true, Collateral = collateral, RequestedLeverageX100 = leverageX100 }, headers);
        Assert.True(quote.Accepted, quote.Reason);
        return quote;
    }

    private static OpenRequest OpenRequestFor(QuoteResponse quote, LocalKeySigner trader) => new()
    {
        PositionId = quote.PositionId, Digest = quote.Digest, Decision = quote.Decision, QuoteToken = quote.QuoteToken,
        TraderSignature = Hex.Encode(trader.SignHash(Hex.Decode(quote.Digest)).ToRsv()),
    };

    private async Task SendAsync(LocalKeySigner trader, WalletCall call)
    {
        Assert.Equal(fixture.Chain.Deployment.ChainId, call.ChainId);
        var sender = new Ethereum.Rpc.TransactionSender(fixture.Chain.Rpc);
        await sender.SendAndWaitAsync(await sender.SignEip1559Async(trader, Address.Parse(call.To), Hex.Decode(call.Data)));
    }

    private async Task<HttpClient> RestAsync(int index)
    {
        var http = new HttpClient { BaseAddress = fixture.HttpBase };
        http.DefaultRequestHeaders.Authorization = AuthenticationHeaderValue.Parse((await fixture.SignInAsync(index)).Single(h => h.Key == "authorization").Value);
        return http;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [GeneratedRegex(@"\d+\.\d{2,6} USDC")]
    private static partial Regex UsdcAmount();

    [GeneratedRegex(@"\d+\.\d{2} USD\b")]
    private static partial Regex UsdPrice();

    [GeneratedRegex(@"\d{7,}")]
    private static partial Regex RawInteger();

    [GeneratedRegex("0x[0-9a-f]{64}")]
    private static partial Regex PositionId();
}
