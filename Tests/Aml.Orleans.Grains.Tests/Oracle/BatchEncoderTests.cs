using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Interfaces;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;
using Aml.Orleans.Grains.Oracle;

namespace Aml.Orleans.Grains.Tests.Oracle;

public sealed class BatchEncoderTests : IDisposable
{
    private readonly OracleParts _parts = new();

    public void Dispose() => _parts.Dispose();

    [Fact]
    public void NextBatch_RelayedOpenAtTheHead_GoesAlone()
    {
        var (queue, entries) = Queue(DecisionKind.Open, DecisionKind.Liquidate, DecisionKind.Adjust);

        var batch = BatchEncoder.NextBatch(queue, entries, 50);

        Assert.Equal([queue[0]], batch.Select(e => e.Digest));
    }

    [Fact]
    public void NextBatch_EngineDecisions_InQueueOrderUpToTheLimitAndNeverPastAnOpen()
    {
        var (queue, entries) = Queue(DecisionKind.Liquidate, DecisionKind.Adjust, DecisionKind.Liquidate, DecisionKind.Open, DecisionKind.Adjust);

        Assert.Equal(queue.Take(2), BatchEncoder.NextBatch(queue, entries, 2).Select(e => e.Digest));
        Assert.Equal(queue.Take(3), BatchEncoder.NextBatch(queue, entries, 50).Select(e => e.Digest));
    }

    [Fact]
    public async Task EncodeAsync_EngineBatch_TheDecisionsUnderOneQuorumOverTheListLivingTheTtlPastTheChainsTime()
    {
        var (queue, entries) = Queue(DecisionKind.Liquidate, DecisionKind.Adjust);
        var batch = BatchEncoder.NextBatch(queue, entries, 50);
        var encoder = new BatchEncoder(_parts.Chain, _parts.Signers, TimeSpan.FromSeconds(60));

        var encoded = await encoder.EncodeAsync(batch, batchNonce: 7, chainNow: 1_900_000_000);

        var (list, quorum) = MarginManagerAbi.DecodeApplyDecisions(encoded.Calldata);
        Assert.Equal(7UL, encoded.BatchNonce);
        Assert.Equal((7UL, 1_900_000_060UL), (list.BatchNonce, list.ValidUntil));
        Assert.Equal(queue, list.Decisions.Select(d => Hex.Encode(d.Digest(_parts.Chain.Domain))));
        Assert.Equal(await _parts.Signers.QuorumAsync(list.Digest(_parts.Chain.Domain)), quorum);
        Assert.Equal(ChainContext.BitmapHex(quorum.SignerBitmap), encoded.SignerBitmap);
    }

    [Fact]
    public async Task EncodeAsync_RelayedOpen_OpenPositionForWithItsQuorumAndTheTradersSignature()
    {
        var open = OracleParts.Decision(DecisionKind.Open);
        var signature = _parts.TraderSignature(open);
        var encoder = new BatchEncoder(_parts.Chain, _parts.Signers, TimeSpan.FromSeconds(60));

        var encoded = await encoder.EncodeAsync([_parts.Entry(open, signature)], batchNonce: 7, chainNow: 1_900_000_000);

        var args = MarginManagerAbi.Function(MarginManagerNames.Functions.OpenPositionFor).DecodeCall(encoded.Calldata);
        var decision = RiskDecision.FromAbiValue(args[0]);
        Assert.Null(encoded.BatchNonce);
        Assert.Equal(_parts.Chain.DigestOf(open), Hex.Encode(decision.Digest(_parts.Chain.Domain)));
        Assert.Equal(await _parts.Signers.QuorumAsync(decision.Digest(_parts.Chain.Domain)), Quorum.FromAbiValue(args[1]));
        Assert.Equal(signature, Hex.Encode((byte[])args[2]));
    }

    [Fact]
    public async Task EncodeAsync_NoDecision_Refused()
    {
        var encoder = new BatchEncoder(_parts.Chain, _parts.Signers, TimeSpan.FromSeconds(60));

        await Assert.ThrowsAsync<ArgumentException>(() => encoder.EncodeAsync([], 7, 1_900_000_000));
    }

    private (List<string> Queue, Dictionary<string, OracleEntry> Entries) Queue(params DecisionKind[] kinds)
    {
        var entries = kinds.Select((kind, i) =>
        {
            var decision = OracleParts.Decision(kind, position: i + 1);
            return _parts.Entry(decision, kind == DecisionKind.Open ? _parts.TraderSignature(decision) : null);
        }).ToList();
        return (entries.Select(e => e.Digest).ToList(), entries.ToDictionary(e => e.Digest, StringComparer.Ordinal));
    }
}
