using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Chain;
using Microsoft.Extensions.Options;

namespace Aml.Orleans.Silo.Feeds;

/// <summary>When the dev price feeds publish (section <c>Aml:Replay</c>), like a Chainlink feed's deviation and heartbeat.</summary>
public sealed class DevPriceFeedOptions
{
    /// <summary>
    /// Private key (hex) of the feeds' updater: a dev account of its own (anvil 11), never an oracle signer, the admin or
    /// the guardian, because the feed is the contract's guard against a faulty quorum. Empty: the feeds are not updated.
    /// </summary>
    public string FeedKey { get; set; } = "";

    /// <summary>A new answer goes out when the price moved this much (bps) from the last published one…</summary>
    public int FeedDeviationBps { get; set; } = 50;

    /// <summary>…or when the last one is this old, so the feed never goes stale while the market is quiet.</summary>
    public TimeSpan FeedHeartbeat { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Publishes the replayed market's prices to the dev chain's <c>MockPriceFeed</c>s with the updater key, throttled by
/// deviation and heartbeat: most replay ticks move the price by less than the threshold and send nothing, so four
/// markets cost a few transactions a second at most. The replay publishes before it hands the tick to the market, so
/// the decisions that tick causes meet a feed that already agrees with it. Sends are one at a time (one key, one nonce
/// sequence).
/// </summary>
public sealed partial class DevPriceFeedPublisher
{
    private readonly DevPriceFeedOptions _options;
    private readonly ChainContext? _chain;
    private readonly TimeProvider _clock;
    private readonly ILogger<DevPriceFeedPublisher> _logger;
    private readonly LocalKeySigner? _updater;
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly Dictionary<string, (long PriceE8, DateTimeOffset At)> _published = new(StringComparer.Ordinal);

    /// <summary>Checks the key against the deployment's roles: a feed updated by an oracle signer guards nothing.</summary>
    public DevPriceFeedPublisher(IOptions<DevPriceFeedOptions> options, IServiceProvider services, TimeProvider clock, ILogger<DevPriceFeedPublisher> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _chain = services.GetService<ChainContext>();
        _clock = clock;
        _logger = logger;
        if (_chain is null || string.IsNullOrEmpty(_options.FeedKey))
        {
            return;
        }

        _updater = LocalKeySigner.FromHex(_options.FeedKey);
        var deployment = _chain.Deployment;
        var roles = deployment.Signers.Append(deployment.Admin).Append(deployment.Guardian).Select(Address.Parse);
        if (roles.Contains(_updater.Address))
        {
            throw new InvalidOperationException(
                $"Aml:Replay:FeedKey is {_updater.Address}, an oracle signer, the admin or the guardian: the price feed must have a key of its own");
        }
    }

    /// <summary>True when the publisher has a key and a chain.</summary>
    public bool Enabled => _updater is not null;

    /// <summary>Publishes <paramref name="priceE8"/> to <paramref name="asset"/>'s feed when it is due; returns whether it did.</summary>
    public async Task<bool> OfferAsync(string asset, long priceE8, CancellationToken cancellationToken)
    {
        if (_updater is null || _chain!.Deployment.Markets.GetValueOrDefault(asset)?.Limits?.PriceFeed is not { Length: > 0 } feed ||
            !IsDue(asset, priceE8))
        {
            return false;
        }

        await _send.WaitAsync(cancellationToken);
        try
        {
            var tx = await _chain.Sender.SignEip1559Async(_updater, Address.Parse(feed), MockPriceFeedAbi.EncodeUpdateAnswer(priceE8), cancellationToken: cancellationToken);
            await _chain.Sender.SendAndWaitAsync(tx, cancellationToken);
            _published[asset] = (priceE8, _clock.GetUtcNow());
            return true;
        }
        catch (Exception ex) when (ex is JsonRpcException or HttpRequestException or TimeoutException)
        {
            LogPublishFailed(asset, priceE8, ex.Message); // the next tick tries again: the feed only lags
            return false;
        }
        finally
        {
            _send.Release();
        }
    }

    private bool IsDue(string asset, long priceE8)
    {
        if (!_published.TryGetValue(asset, out var last))
        {
            return true;
        }

        var movedBps = (Int128)Math.Abs(priceE8 - last.PriceE8) * 10_000;
        return movedBps >= (Int128)_options.FeedDeviationBps * last.PriceE8 || _clock.GetUtcNow() - last.At >= _options.FeedHeartbeat;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dev price feed of {Asset} not updated to {PriceE8}: {Reason}")]
    private partial void LogPublishFailed(string asset, long priceE8, string reason);
}
