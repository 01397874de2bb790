using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;

namespace Aml.Orleans.Grains.Oracle;

/// <summary>
/// What the oracle needs to sign a transaction without asking the chain first: the relayer's next nonce (counted here,
/// read from the chain once and again after an error), the fees and how far the chain's clock runs ahead of ours (both
/// read together from the latest block, then refreshed after sending, not before signing).
/// </summary>
public sealed class RelayerAccount(JsonRpcClient rpc, Address account, TimeProvider clock, TimeSpan refreshInterval)
{
    private readonly NonceTracker _nonces = new(rpc, account);
    private FeeEstimate? _fees;
    private long _chainAheadSeconds;
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;

    /// <summary>True when the fees and the chain clock are older than the refresh interval (or were never read).</summary>
    public bool IsStale => clock.GetUtcNow() - _readAt >= refreshInterval;

    /// <summary>
    /// The fees as last read and the chain's time now as we estimate it (ours, or later by as much as the latest block
    /// was ahead of ours when read); reads them only the first time.
    /// </summary>
    public async Task<(FeeEstimate Fees, ulong ChainNow)> CurrentAsync(CancellationToken cancellationToken = default)
    {
        if (_fees is null)
        {
            await RefreshAsync(cancellationToken).ConfigureAwait(false);
        }

        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        return (_fees!, (ulong)(now + Math.Max(0, _chainAheadSeconds)));
    }

    /// <summary>Reads the fees and the chain's clock from the latest block.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        var block = await rpc.GetBlockAsync("latest", cancellationToken).ConfigureAwait(false);
        var tip = await rpc.GetMaxPriorityFeePerGasAsync(cancellationToken).ConfigureAwait(false);
        // A chain that mines only on demand (anvil) has an old head when idle: behind is not ahead, and counts as zero.
        (_fees, _chainAheadSeconds, _readAt) = (new FeeEstimate(block.BaseFeePerGas, tip), (long)block.Timestamp - clock.GetUtcNow().ToUnixTimeSeconds(), clock.GetUtcNow());
    }

    /// <summary>The next nonce, counted locally (read from the chain's pending count on first use or after a resync).</summary>
    public Task<ulong> NextNonceAsync(CancellationToken cancellationToken = default) => _nonces.NextAsync(cancellationToken);

    /// <summary>Forgets the local nonce count after an error: the next nonce is read from the chain again.</summary>
    public Task ResyncAsync(CancellationToken cancellationToken = default) => _nonces.ResyncAsync(cancellationToken);
}
