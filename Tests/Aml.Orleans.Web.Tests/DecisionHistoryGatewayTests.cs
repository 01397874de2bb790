using Aml.Orleans.Ethereum;
using Aml.Orleans.Protos;
using Aml.Orleans.Silo.Tests;
using Grpc.Core;

namespace Aml.Orleans.Web.Tests;

/// <summary>The decision-history RPC the web app's history table reads (Positions.ListDecisions), over a real socket.</summary>
[Collection(WebCollection.Name)]
public sealed class DecisionHistoryGatewayTests(GatewayFixture fixture)
{
    private const string Asset = "BTC-USD";

    [Fact]
    public async Task ListDecisions_OpenedPosition_ShowsTheSignedOpenForItsTraderOnly()
    {
        await fixture.PriceAsync(Asset, 47_000_00000000);
        var positions = new Positions.PositionsClient(fixture.Channel);
        var (quote, headers) = await fixture.QuoteAndOpenAsync(7, new QuoteRequest { Asset = Asset, IsLong = true, Collateral = 200_000_000, RequestedLeverageX100 = 300 });
        using (var watch = positions.Watch(new GetPositionRequest { PositionId = quote.PositionId }, headers, DateTime.UtcNow.AddSeconds(90)))
        {
            while (await watch.ResponseStream.MoveNext(CancellationToken.None) && watch.ResponseStream.Current.Status != "Open")
            {
                Assert.NotEqual("Rejected", watch.ResponseStream.Current.Status);
            }
        }

        var history = await positions.ListDecisionsAsync(new GetPositionRequest { PositionId = quote.PositionId }, headers);
        var otherTrader = await Assert.ThrowsAsync<RpcException>(async () =>
            await positions.ListDecisionsAsync(new GetPositionRequest { PositionId = quote.PositionId }, await fixture.SignInAsync(8)));
        var anonymous = await Assert.ThrowsAsync<RpcException>(async () =>
            await positions.ListDecisionsAsync(new GetPositionRequest { PositionId = quote.PositionId }));

        var open = Assert.Single(history.Decisions);
        Assert.Equal("OPEN", open.Kind);
        Assert.Equal(quote.Digest, open.Digest, ignoreCase: true);
        Assert.Equal(quote.Decision.ModelHash, open.ModelHash, ignoreCase: true);
        Assert.Equal(quote.Decision.FeaturesHash, open.FeaturesHash, ignoreCase: true);
        Assert.True(open.Signers.Count >= fixture.Chain.Deployment.Threshold, $"a quorum signed: {string.Join(", ", open.Signers)}");
        Assert.All(open.Signers, s => Assert.Contains(s, fixture.Chain.Deployment.Signers, StringComparer.OrdinalIgnoreCase));
        Assert.Matches("^0x[0-9a-f]{64}$", open.TransactionHash);
        Assert.Equal(StatusCode.NotFound, otherTrader.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
    }
}
