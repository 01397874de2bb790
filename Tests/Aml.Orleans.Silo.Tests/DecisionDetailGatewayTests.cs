using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Audit;
using Aml.Orleans.Grains.Tests;
using Aml.Orleans.Protos;
using Grpc.Core;

namespace Aml.Orleans.Silo.Tests;

/// <summary>Positions.GetDecision over a real socket: a real open's features, predictions and verification, for its trader only.</summary>
[Collection(GatewayCollection.Name)]
public sealed class DecisionDetailGatewayTests(GatewayFixture fixture)
{
    private const string Asset = "BTC-USD";

    [Fact]
    public async Task GetDecision_LandedOpen_FeaturesHashToItAndEveryCheckPassesForItsTraderOnly()
    {
        await fixture.PriceAsync(Asset, 47_000_00000000);
        var positions = new Positions.PositionsClient(fixture.Channel);
        var (quote, headers) = await fixture.QuoteAndOpenAsync(6, new QuoteRequest { Asset = Asset, IsLong = false, Collateral = 150_000_000, RequestedLeverageX100 = 250 });
        var request = new GetDecisionRequest { PositionId = quote.PositionId, Digest = quote.Digest };

        var detail = await ClusterFixture.EventuallyAsync(
            async () => await positions.GetDecisionAsync(request, headers), d => d.Record.TransactionHash.Length > 0 && d.Record.Status == "APPLIED", "the open landed", seconds: 60);
        var otherTrader = await Assert.ThrowsAsync<RpcException>(async () => await positions.GetDecisionAsync(request, await fixture.SignInAsync(8)));
        var badDigest = await Assert.ThrowsAsync<RpcException>(async () => await positions.GetDecisionAsync(request.Clone().With(r => r.Digest = "0x12"), headers));
        var unknown = await Assert.ThrowsAsync<RpcException>(async () =>
            await positions.GetDecisionAsync(request.Clone().With(r => r.Digest = Hex.Encode(Keccak.Hash("no such decision"u8))), headers));

        Assert.True(detail.Verified, string.Join("\n", detail.Verdicts.Select(v => $"{v.Passed} {v.Check}: {v.Detail}")));
        Assert.Equal(DecisionVerifier.Checks, detail.Verdicts.Select(v => v.Check));
        Assert.Equal(quote.Decision, detail.Decision);
        Assert.Equal(quote.Decision.FeaturesHash, Hex.Encode(Keccak.Hash(Hex.Decode(detail.FeatureBytes))), ignoreCase: true);
        Assert.InRange(detail.LeverageQuantile, 1e-4, 1);
        Assert.Equal(24u, detail.HorizonHours);
        Assert.Equal("", detail.MaturedAt); // a day of candles has not passed
        Assert.Equal(StatusCode.NotFound, otherTrader.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, badDigest.StatusCode);
        Assert.StartsWith("digest: ", badDigest.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }
}

internal static class MessageEdits
{
    /// <summary>The message after <paramref name="edit"/>: for one-line variations of a request.</summary>
    public static T With<T>(this T message, Action<T> edit)
    {
        edit(message);
        return message;
    }
}
