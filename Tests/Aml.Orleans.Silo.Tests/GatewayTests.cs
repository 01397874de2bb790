using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Tests;
using Aml.Orleans.Protos;
using Grpc.Core;

namespace Aml.Orleans.Silo.Tests;

/// <summary>The gateway as a frontend meets it: gRPC over a socket to a silo process, wallets signing in.</summary>
[Collection(GatewayCollection.Name)]
public sealed class GatewayTests(GatewayFixture fixture)
{
    private const string Asset = "BTC-USD";
    private const long EntryE8 = 47_000_00000000;

    [Fact]
    public async Task HealthReady_SiloStarted_WarmUpRanWithQuorumAndModelSets()
    {
        // The fixture returned once /health/ready answered 200, which the warm-up check withholds until it is done; its
        // summary is logged just before, and the log is copied from the silo's stdout as it comes.
        using var http = new HttpClient();
        Assert.True((await http.GetAsync(new Uri(fixture.HttpBase, "/health/ready"))).IsSuccessStatusCode);
        var line = await ClusterFixture.EventuallyAsync( // the log pipe's copy, not the silo's work
            () => Task.FromResult(File.ReadLines(fixture.LogFile).FirstOrDefault(l => l.Contains("warm-up done", StringComparison.Ordinal))),
            l => l is not null, "the warm-up line in the silo's log");
        Assert.Contains("one quorum and one decision encode", line, StringComparison.Ordinal);
        Assert.Matches(@"[1-9]\d* model set\(s\) explained and batch-scored", line);
        Assert.Matches(@"[1-9]\d* listed market\(s\) through this silo's risk engine", line);
        Assert.Matches(@"[1-9]\d* quotes through the quote grain", line);
    }

    [Fact]
    public async Task SignIn_ChallengeUsedTwice_SecondRefused()
    {
        var auth = new Protos.Auth.AuthClient(fixture.Channel);
        var signer = fixture.Chain.Signer(6);
        var challenge = await auth.ChallengeAsync(new ChallengeRequest { Address = signer.Address.ToString() });
        var request = new SignInRequest { Message = challenge.Message, Signature = Hex.Encode(signer.SignHash(PersonalMessage.Hash(challenge.Message)).ToRsv()) };

        var first = await auth.SignInAsync(request);
        var replay = await Assert.ThrowsAsync<RpcException>(async () => await auth.SignInAsync(request));

        Assert.Equal(signer.Address.ToString(), first.Address);
        Assert.False(first.IsAdmin);
        Assert.Equal(StatusCode.Unauthenticated, replay.StatusCode);
        Assert.Contains("used already", replay.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_SignatureOfAnotherWallet_Unauthenticated()
    {
        var auth = new Protos.Auth.AuthClient(fixture.Channel);
        var challenge = await auth.ChallengeAsync(new ChallengeRequest { Address = fixture.Chain.Signer(6).Address.ToString() });

        var error = await Assert.ThrowsAsync<RpcException>(async () => await auth.SignInAsync(new SignInRequest
        {
            Message = challenge.Message,
            Signature = Hex.Encode(fixture.Chain.Signer(7).SignHash(PersonalMessage.Hash(challenge.Message)).ToRsv()),
        }));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("the signature is from", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quote_WithoutToken_Unauthenticated()
    {
        var positions = new Protos.Positions.PositionsClient(fixture.Channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await positions.QuoteAsync(new QuoteRequest { Asset = Asset, IsLong = true, Collateral = 1_000_000, RequestedLeverageX100 = 500 }));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Theory]
    [InlineData("BTCUSD", 1_000_000L, 500L, "asset")]
    [InlineData(Asset, 0L, 500L, "collateral")]
    [InlineData(Asset, 1_000_000L, 50L, "requested_leverage_x100")]
    public async Task Quote_BadField_InvalidArgumentNamingIt(string asset, long collateral, long leverage, string field)
    {
        var positions = new Protos.Positions.PositionsClient(fixture.Channel);
        var headers = await fixture.SignInAsync(6);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await positions.QuoteAsync(
            new QuoteRequest { Asset = asset, IsLong = true, Collateral = collateral, RequestedLeverageX100 = leverage }, headers));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(field + ":", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_AnotherTradersPosition_NotFound()
    {
        await fixture.PriceAsync(Asset, EntryE8);
        var positions = new Protos.Positions.PositionsClient(fixture.Channel);
        var headers = await fixture.SignInAsync(6);
        var quote = await positions.QuoteAsync(new QuoteRequest { Asset = Asset, IsLong = true, Collateral = 100_000_000, RequestedLeverageX100 = 200 }, headers);
        var signature = Hex.Encode(fixture.Chain.Signer(6).SignHash(Hex.Decode(quote.Digest)).ToRsv());
        await positions.OpenAsync(new OpenRequest { PositionId = quote.PositionId, Digest = quote.Digest, Decision = quote.Decision, QuoteToken = quote.QuoteToken, TraderSignature = signature }, headers);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await positions.GetAsync(new GetPositionRequest { PositionId = quote.PositionId }, await fixture.SignInAsync(7)));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        var admin = await positions.GetAsync(new GetPositionRequest { PositionId = quote.PositionId }, await fixture.SignInAsync(0));
        Assert.Equal(quote.PositionId, admin.PositionId);
    }

    [Fact]
    public async Task Admin_HaltThenResume_OnlyForAdminsAndTheContractFollows()
    {
        var admin = new Protos.Admin.AdminClient(fixture.Channel);
        var contract = new MarginManagerClient(fixture.Chain.Rpc, Address.Parse(fixture.Chain.Deployment.MarginManager));

        var denied = await Assert.ThrowsAsync<RpcException>(async () => await admin.HaltAsync(new HaltRequest { Reason = "test" }, await fixture.SignInAsync(6)));
        var headers = await fixture.SignInAsync(0);
        try
        {
            var halted = await admin.HaltAsync(new HaltRequest { Reason = "test" }, headers);
            Assert.StartsWith("0x", halted.TransactionHash, StringComparison.Ordinal);
            Assert.True(await IsHaltedAsync());
        }
        finally
        {
            await admin.ResumeAsync(new ResumeRequest(), headers);
        }

        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.False(await IsHaltedAsync());
        var badMode = await Assert.ThrowsAsync<RpcException>(async () => await admin.SetMarketModeAsync(new SetMarketModeRequest { Asset = Asset, Mode = "PAUSED" }, headers));
        Assert.Equal(StatusCode.InvalidArgument, badMode.StatusCode);
        Assert.StartsWith("mode:", badMode.Status.Detail, StringComparison.Ordinal);

        async Task<bool> IsHaltedAsync()
        {
            var abi = Ethereum.Abi.AbiContract.FromJson(File.ReadAllText(Path.Combine(Grains.Tests.Chain.AnvilChain.RepositoryRoot(), "Contracts.Solidity", "abi", "MarginManager.json")));
            var function = abi.Function("halted");
            return (bool)function.DecodeOutput(await fixture.Chain.Rpc.CallAsync(new Ethereum.Rpc.CallRequest(contract.Contract, function.EncodeCall())))[0];
        }
    }

    [Fact]
    public async Task AddCollateral_WalletSendsTheReturnedCall_PositionFollows()
    {
        await fixture.PriceAsync(Asset, EntryE8);
        var positions = new Protos.Positions.PositionsClient(fixture.Channel);
        var trader = fixture.Chain.Signer(7);
        var headers = await fixture.SignInAsync(7);
        var quote = await positions.QuoteAsync(new QuoteRequest { Asset = Asset, IsLong = false, Collateral = 300_000_000, RequestedLeverageX100 = 200 }, headers);
        await positions.OpenAsync(new OpenRequest { PositionId = quote.PositionId, Digest = quote.Digest, Decision = quote.Decision, QuoteToken = quote.QuoteToken, TraderSignature = Hex.Encode(trader.SignHash(Hex.Decode(quote.Digest)).ToRsv()) }, headers);
        await ClusterFixture.EventuallyAsync(async () => await positions.GetAsync(new GetPositionRequest { PositionId = quote.PositionId }, headers), p => p.Status == "Open", "open");

        var bad = await Assert.ThrowsAsync<RpcException>(async () => await positions.AddCollateralAsync(new AddCollateralRequest { PositionId = quote.PositionId, Amount = 0 }, headers));
        var call = await positions.AddCollateralAsync(new AddCollateralRequest { PositionId = quote.PositionId, Amount = 50_000_000 }, headers);
        var sender = new Ethereum.Rpc.TransactionSender(fixture.Chain.Rpc);
        await sender.SendAndWaitAsync(await sender.SignEip1559Async(trader, Address.Parse(call.To), Hex.Decode(call.Data)));

        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
        Assert.StartsWith("amount:", bad.Status.Detail, StringComparison.Ordinal);
        await ClusterFixture.EventuallyAsync(
            async () => await positions.GetAsync(new GetPositionRequest { PositionId = quote.PositionId }, headers), p => p.Collateral == 350_000_000, "topped up");
    }

    [Fact]
    public async Task Dashboard_WithoutAdminToken_Refused()
    {
        using var http = new HttpClient { BaseAddress = fixture.AdminBase }; // the bearer header works there, for the CLI
        var trader = (await fixture.SignInAsync(6)).Single(h => h.Key == "authorization").Value;
        var admin = (await fixture.SignInAsync(0)).Single(h => h.Key == "authorization").Value;

        var anonymous = await http.GetAsync(new Uri("/dashboard", UriKind.Relative));
        using var asTrader = new HttpRequestMessage(HttpMethod.Get, "/dashboard") { Headers = { { "Authorization", trader } } };
        using var asAdmin = new HttpRequestMessage(HttpMethod.Get, "/dashboard/") { Headers = { { "Authorization", admin } } };

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await http.SendAsync(asTrader)).StatusCode);
        var adminResponse = await http.SendAsync(asAdmin);
        Assert.True(adminResponse.IsSuccessStatusCode, $"admin got {(int)adminResponse.StatusCode}");
    }

    [Fact]
    public async Task EndToEnd_QuoteSignOpenCrash_StreamShowsOpenSuggestionAndLiquidation()
    {
        await fixture.PriceAsync(Asset, EntryE8);
        var positions = new Protos.Positions.PositionsClient(fixture.Channel);
        var trader = fixture.Chain.Signer(8);
        var headers = await fixture.SignInAsync(8);

        var quote = await positions.QuoteAsync(new QuoteRequest { Asset = Asset, IsLong = true, Collateral = 1_000_000_000, RequestedLeverageX100 = 1_000 }, headers);
        Assert.True(quote.Accepted, quote.Reason);
        var signature = Hex.Encode(trader.SignHash(Hex.Decode(quote.Digest)).ToRsv());
        var pending = await positions.OpenAsync(new OpenRequest { PositionId = quote.PositionId, Digest = quote.Digest, Decision = quote.Decision, QuoteToken = quote.QuoteToken, TraderSignature = signature }, headers);
        Assert.Equal("Pending", pending.Status);

        using var watch = positions.Watch(new GetPositionRequest { PositionId = quote.PositionId }, headers, DateTime.UtcNow.AddSeconds(60));
        var seen = new List<Position>();
        var crashed = false;
        while (await watch.ResponseStream.MoveNext(CancellationToken.None))
        {
            var update = watch.ResponseStream.Current;
            seen.Add(update);
            if (update.Status == "Open" && !crashed)
            {
                // The market falls through the warning band, then through the liquidation band.
                var liquidation = update.LiquidationPriceE8;
                await fixture.PriceAsync(Asset, (update.WarningPriceE8 + liquidation) / 2);
                await fixture.PriceAsync(Asset, liquidation - (liquidation / 100));
                crashed = true;
            }

            if (update.Status == "Liquidated" || (update.OnChainVersion > 1 && update.Status == "Open" && crashed))
            {
                break;
            }
        }

        Assert.Contains(seen, p => p.Status == "Open");
        Assert.Contains(seen, p => p.Suggestion is "AddCollateral" or "Close");
        // A partial liquidation bumps the version; a full one ends the position without a bump (version 2).
        Assert.True(seen[^1].Status == "Liquidated" || seen[^1].OnChainVersion > 1, $"liquidated on-chain; saw {string.Join(" → ", seen.Select(p => $"{p.Status}/v{p.OnChainVersion}/{p.Suggestion}"))}");
    }
}
