using System.Numerics;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;
using Aml.Orleans.Grains.Oracle;

namespace Aml.Orleans.Grains.Tests.Oracle;

public sealed class SigningPolicyTests : IDisposable
{
    private readonly OracleParts _parts = new();

    public void Dispose() => _parts.Dispose();

    [Fact]
    public async Task QuorumAsync_FourOfTheFiveKeysHeld_ExactlyThreeSignInSignerOrder()
    {
        var digest = Keccak.Hash("a decision"u8.ToArray());

        var quorum = await _parts.Signers.QuorumAsync(digest);

        Assert.Equal(new BigInteger(0b01011), quorum.SignerBitmap); // signers 0, 1 and 3: the first three held, not 4
        Assert.Equal(3 * 64, quorum.Signatures.Length);
        int[] expected = [0, 1, 3];
        for (var i = 0; i < expected.Length; i++)
        {
            var signature = Signature.FromCompact(quorum.Signatures.AsSpan(i * 64, 64));
            Assert.Equal(OracleParts.SignerSet[expected[i]].Address, Secp256k1.RecoverAddress(digest, signature));
        }
    }

    [Fact]
    public void RefusalToSubmit_Close_RefusedSayingTheTraderSendsIt() =>
        Assert.Contains("sent by the trader", _parts.Signers.RefusalToSubmit(OracleParts.Decision(DecisionKind.Close), null), StringComparison.Ordinal);

    [Fact]
    public void RefusalToSubmit_OpenWithoutTraderSignature_Refused() =>
        Assert.Contains("trader's signature", _parts.Signers.RefusalToSubmit(OracleParts.Decision(DecisionKind.Open), null), StringComparison.Ordinal);

    [Fact]
    public void RefusalToSubmit_OpenSignedByAnotherKey_RefusedNamingWhoSigned()
    {
        var open = OracleParts.Decision(DecisionKind.Open);
        var stranger = OracleParts.SignerSet[2];
        var signature = Hex.Encode(stranger.SignHash(Hex.Decode(_parts.Chain.DigestOf(open))).ToRsv());

        var refusal = _parts.Signers.RefusalToSubmit(open, signature);

        Assert.Contains($"recovers to {stranger.Address}", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusalToSubmit_OpenSignedByItsTrader_Taken()
    {
        var open = OracleParts.Decision(DecisionKind.Open);

        Assert.Null(_parts.Signers.RefusalToSubmit(open, _parts.TraderSignature(open)));
    }

    [Fact]
    public void RefusalToSubmit_LeverageAboveTheMarket_RefusedNamingTheField() =>
        Assert.Contains("maxLeverage", _parts.Signers.RefusalToSubmit(OracleParts.Decision(DecisionKind.Adjust) with { MaxLeverageX100 = 6_000 }, null), StringComparison.Ordinal);

    [Fact]
    public async Task RefusalToSignAsync_LastViewOfTheFeedAgrees_SignedWithoutReadingTheChain()
    {
        _parts.Guards.LastRead = Feed(300_000_000_000);

        Assert.Null(await _parts.Signers.RefusalToSignAsync(OracleParts.Decision(DecisionKind.Liquidate)));
        Assert.Equal(0, _parts.Guards.Reads);
    }

    [Fact]
    public async Task RefusalToSignAsync_LastViewContradictsButTheFeedCaughtUp_SignedAfterOneRead()
    {
        (_parts.Guards.LastRead, _parts.Guards.ReadNow) = (Feed(320_000_000_000), Feed(300_000_000_000));

        Assert.Null(await _parts.Signers.RefusalToSignAsync(OracleParts.Decision(DecisionKind.Liquidate)));
        Assert.Equal(1, _parts.Guards.Reads);
    }

    [Fact]
    public async Task RefusalToSignAsync_FeedContradictsStill_RefusedSayingByHowMuch()
    {
        (_parts.Guards.LastRead, _parts.Guards.ReadNow) = (Feed(320_000_000_000), Feed(320_000_000_000));

        var refusal = await _parts.Signers.RefusalToSignAsync(OracleParts.Decision(DecisionKind.Liquidate));

        Assert.Contains("bps from the feed", refusal, StringComparison.Ordinal);
    }

    // A feed allowing 2 % deviation, updated a second ago.
    private static MarketGuard Feed(long priceE8) =>
        new(true, 200, 3_600, 0, priceE8, (ulong)OracleParts.Now.ToUnixTimeSeconds() - 1);
}
