using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Interfaces;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;

namespace Aml.Orleans.Grains.Oracle;

/// <summary>The calldata of one oracle transaction, its batch nonce (null for a relayed OPEN) and the quorum's bitmap.</summary>
public sealed record EncodedBatch(byte[] Calldata, ulong? BatchNonce, string SignerBitmap);

/// <summary>
/// Which queued decisions go out together and how they are encoded: a relayed OPEN alone as <c>openPositionFor</c>
/// (quorum and trader signature over its own digest); ADJUSTs and LIQUIDATEs, in queue order up to the batch limit, as
/// one <c>applyDecisions</c> under one quorum over the list, living <see cref="OracleOptions.BatchTtl"/> past the
/// chain's time.
/// </summary>
public sealed class BatchEncoder(ChainContext chain, SigningPolicy signers, TimeSpan batchTtl)
{
    /// <summary>The next transaction's decisions from the head of <paramref name="queue"/>.</summary>
    public static List<OracleEntry> NextBatch(IReadOnlyList<string> queue, IReadOnlyDictionary<string, OracleEntry> entries, int maxBatchSize)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(entries);
        if (queue.Count == 0)
        {
            return [];
        }

        var head = entries[queue[0]];
        return head.Decision.Kind == DecisionKind.Open
            ? [head]
            : queue.Take(maxBatchSize).Select(d => entries[d]).TakeWhile(e => e.Decision.Kind != DecisionKind.Open).ToList();
    }

    /// <summary>
    /// Signs and encodes <paramref name="batch"/> (from <see cref="NextBatch"/>); a batch of engine decisions takes
    /// <paramref name="batchNonce"/> and lives until <paramref name="chainNow"/> plus the batch TTL.
    /// </summary>
    public async Task<EncodedBatch> EncodeAsync(IReadOnlyList<OracleEntry> batch, ulong batchNonce, ulong chainNow, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            throw new ArgumentException("a batch needs at least one decision", nameof(batch));
        }

        var head = batch[0];
        if (head.Decision.Kind == DecisionKind.Open)
        {
            var decision = chain.ToChain(head.Decision);
            var quorum = await signers.QuorumAsync(decision.Digest(chain.Domain), cancellationToken).ConfigureAwait(false);
            var calldata = MarginManagerAbi.Function(MarginManagerNames.Functions.OpenPositionFor).EncodeCall(
                decision.ToAbiValue(), quorum.ToAbiValue(), Hex.Decode(head.TraderSignature!));
            return new EncodedBatch(calldata, null, ChainContext.BitmapHex(quorum.SignerBitmap));
        }

        var list = new DecisionList(batchNonce, checked(chainNow + (ulong)batchTtl.TotalSeconds), batch.Select(e => chain.ToChain(e.Decision)).ToArray());
        var batchQuorum = await signers.QuorumAsync(list.Digest(chain.Domain), cancellationToken).ConfigureAwait(false);
        return new EncodedBatch(MarginManagerAbi.EncodeApplyDecisions(list, batchQuorum), list.BatchNonce, ChainContext.BitmapHex(batchQuorum.SignerBitmap));
    }
}
