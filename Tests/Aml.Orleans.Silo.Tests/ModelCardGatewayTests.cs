using Aml.Orleans.Protos;
using Grpc.Core;

namespace Aml.Orleans.Silo.Tests;

/// <summary>Admin.ListModelCards over a real socket: the served set's card, for administrators only.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ModelCardGatewayTests(GatewayFixture fixture)
{
    [Fact]
    public async Task ListModelCards_TheServedSet_ItsWindowMetricsAndLiveCoverageForAdminsOnly()
    {
        await fixture.PriceAsync("BTC-USD", 47_000_00000000);
        var admin = new Admin.AdminClient(fixture.Channel);
        var headers = await fixture.SignInAsync(0);
        var served = await admin.GetModelStatusAsync(new ModelStatusRequest { Asset = "BTC-USD" }, headers);

        var cards = await admin.ListModelCardsAsync(new ModelCardsRequest { Asset = "BTC-USD" }, headers);
        var denied = await Assert.ThrowsAsync<RpcException>(async () =>
            await admin.ListModelCardsAsync(new ModelCardsRequest { Asset = "BTC-USD" }, await fixture.SignInAsync(6)));
        var unlisted = await Assert.ThrowsAsync<RpcException>(async () => await admin.ListModelCardsAsync(new ModelCardsRequest { Asset = "XYZ-USD" }, headers));

        var card = Assert.Single(cards.Cards, c => c.ModelHash == served.ModelHash);
        Assert.Equal("BTC-USD", card.Asset);
        Assert.Contains("BTC-USD", card.TrainedOn);
        Assert.True(string.CompareOrdinal(card.TrainedFrom, card.ValidationFrom) < 0, $"{card.TrainedFrom} before {card.ValidationFrom}");
        Assert.NotEmpty(card.ValidationMetrics);
        Assert.Contains("traderFeatures", card.Statements.Keys);
        Assert.Equal(0.95, card.TargetCoverage);
        Assert.True(card.LiveLong.Covered <= card.LiveLong.Matured);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Equal(StatusCode.NotFound, unlisted.StatusCode);
    }
}
