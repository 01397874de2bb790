using System.Numerics;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Chain;
using Microsoft.Extensions.Options;

namespace Aml.Orleans.Grains.Oracle;

/// <summary>
/// The oracle's view of every market's version-2 limits and independent feed, read from the chain together and then
/// served from memory; once <see cref="OracleOptions.GuardRefreshInterval"/> has passed it is read again in the
/// background while the old view keeps serving: signing a decision costs no RPC call (only the very first one waits for
/// the first read), and governance changes and feed updates reach the signers within about one interval. A view that
/// lags the chain only makes the oracle refuse what the contract would have taken (and a refusal reads the chain again,
/// see <see cref="ReadNowAsync"/>) or sign what the contract then skips; neither moves money.
/// </summary>
public sealed class MarketGuardReader(ChainContext chain, IOptions<OracleOptions> options, TimeProvider clock) : IMarketGuards
{
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private readonly Dictionary<Address, byte> _feedDecimals = [];
    private IReadOnlyDictionary<string, MarketGuard> _guards = new Dictionary<string, MarketGuard>(StringComparer.Ordinal);
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;
    private Task? _background;

    /// <inheritdoc />
    /// <remarks><see cref="MarketGuard.Off"/> for a market the deployment lacks.</remarks>
    public async Task<MarketGuard> GetAsync(string asset, CancellationToken cancellationToken = default)
    {
        if (_readAt == DateTimeOffset.MinValue)
        {
            await RefreshAsync(cancellationToken).ConfigureAwait(false);
        }
        else if (clock.GetUtcNow() - _readAt >= options.Value.GuardRefreshInterval && _background is null or { IsCompleted: true })
        {
            // A chain that does not answer leaves the old view serving; the next stale look tries again.
            _background = Task.Run(() => RefreshAsync(CancellationToken.None)).ContinueWith(
                t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        return _guards.GetValueOrDefault(asset, MarketGuard.Off);
    }

    /// <summary>
    /// The guard of <paramref name="asset"/> read from the chain now, for a decision the cached view refuses: the feed
    /// may have caught up with the market since (the replay publishes just before the tick that causes a decision).
    /// Costs two calls, only on a refusal.
    /// </summary>
    public async Task<MarketGuard> ReadNowAsync(string asset, CancellationToken cancellationToken = default)
    {
        if (!chain.Deployment.Markets.TryGetValue(asset, out var market))
        {
            return MarketGuard.Off;
        }

        var guard = await ReadAsync(Bytes32.Parse(market.MarketId), cancellationToken).ConfigureAwait(false);
        await _refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _guards = new Dictionary<string, MarketGuard>(_guards, StringComparer.Ordinal) { [asset] = guard };
        }
        finally
        {
            _refresh.Release();
        }

        return guard;
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (clock.GetUtcNow() - _readAt < options.Value.GuardRefreshInterval)
            {
                return; // another caller refreshed while this one waited
            }

            var guards = new Dictionary<string, MarketGuard>(StringComparer.Ordinal);
            foreach (var (asset, market) in chain.Deployment.Markets)
            {
                guards[asset] = await ReadAsync(Bytes32.Parse(market.MarketId), cancellationToken).ConfigureAwait(false);
            }

            (_guards, _readAt) = (guards, clock.GetUtcNow());
        }
        finally
        {
            _refresh.Release();
        }
    }

    private async Task<MarketGuard> ReadAsync(Bytes32 marketId, CancellationToken cancellationToken)
    {
        var limits = await chain.Contract.GetMarketLimitsAsync(marketId, cancellationToken).ConfigureAwait(false);
        if (limits.PriceFeed == Address.Zero)
        {
            return new MarketGuard(false, limits.MaxFeedDeviationBps, limits.MaxFeedAge, limits.MaxDecisionTtl, 0, 0);
        }

        var feed = new PriceFeedClient(chain.Rpc, limits.PriceFeed);
        if (!_feedDecimals.TryGetValue(limits.PriceFeed, out var decimals))
        {
            decimals = await feed.GetDecimalsAsync(cancellationToken).ConfigureAwait(false);
            _feedDecimals[limits.PriceFeed] = decimals;
        }

        var round = await feed.GetLatestRoundAsync(cancellationToken).ConfigureAwait(false);
        return new MarketGuard(true, limits.MaxFeedDeviationBps, limits.MaxFeedAge, limits.MaxDecisionTtl, ToE8(round.Answer, decimals), round.UpdatedAt);
    }

    /// <summary>A feed answer in E8, truncated like the contract's own scaling; a negative answer stays negative.</summary>
    internal static long ToE8(BigInteger answer, byte decimals) =>
        (long)BigInteger.Clamp(
            decimals >= 8 ? answer / BigInteger.Pow(10, decimals - 8) : answer * BigInteger.Pow(10, 8 - decimals),
            long.MinValue, long.MaxValue);
}
