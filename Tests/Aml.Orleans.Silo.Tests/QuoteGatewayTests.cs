using Aml.Orleans.Ethereum;
using Aml.Orleans.Protos;
using Grpc.Core;

namespace Aml.Orleans.Silo.Tests;

/// <summary>
/// Quotes through the gateway: a market the risk engine cannot price is FAILED_PRECONDITION saying why, and an open
/// takes a quote's decision back only with that quote's own token (it carries the inputs the outcome store keeps).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class QuoteGatewayTests(GatewayFixture fixture)
{
    private const string Asset = "BTC-USD";
    private const long EntryE8 = 47_000_00000000;

    private Protos.Positions.PositionsClient Positions => new(fixture.Channel);

    [Fact]
    public async Task Quote_ListedMarketWithoutAModelSet_FailedPreconditionNamingWhatIsMissing()
    {
        var headers = await fixture.SignInAsync(6);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Positions.QuoteAsync(
            new QuoteRequest { Asset = "ETH-USD", IsLong = true, Collateral = 100_000_000, RequestedLeverageX100 = 200 }, headers));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("the risk engine cannot price ETH-USD now", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("model.json is missing", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_TokenOfAnotherQuoteOrInputsSwapped_InvalidArgumentNamingTheTokenAndNothingOpened()
    {
        await fixture.PriceAsync(Asset, EntryE8);
        var trader = fixture.Chain.Signer(6);
        var headers = await fixture.SignInAsync(6);
        var quote = await QuoteAsync(headers, 100_000_000, 200);
        var other = await QuoteAsync(headers, 120_000_000, 300);
        // The inputs of the other quote under this quote's seal: the seal covers the inputs, not only the digest.
        var swapped = other.QuoteToken[..other.QuoteToken.IndexOf('.', StringComparison.Ordinal)] + quote.QuoteToken[quote.QuoteToken.IndexOf('.', StringComparison.Ordinal)..];

        foreach (var token in new[] { other.QuoteToken, swapped, "", "not-a-token" })
        {
            var error = await Assert.ThrowsAsync<RpcException>(async () => await Positions.OpenAsync(new OpenRequest
            {
                PositionId = quote.PositionId, Digest = quote.Digest, Decision = quote.Decision, QuoteToken = token,
                TraderSignature = Hex.Encode(trader.SignHash(Hex.Decode(quote.Digest)).ToRsv()),
            }, headers));
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            Assert.StartsWith("quote_token:", error.Status.Detail, StringComparison.Ordinal);
        }

        var after = await Assert.ThrowsAsync<RpcException>(async () => await Positions.GetAsync(new GetPositionRequest { PositionId = quote.PositionId }, headers));
        Assert.Equal(StatusCode.NotFound, after.StatusCode);
    }

    private async Task<QuoteResponse> QuoteAsync(Metadata headers, long collateral, long leverageX100)
    {
        var quote = await Positions.QuoteAsync(new QuoteRequest { Asset = Asset, IsLong = true, Collateral = collateral, RequestedLeverageX100 = leverageX100 }, headers);
        Assert.True(quote.Accepted, quote.Reason);
        return quote;
    }
}
