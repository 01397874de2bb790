using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Oracle;

/// <summary>
/// A market's version-2 limits as the oracle last read them from the chain, with the independent feed's latest round
/// (its answer scaled to E8). Zero limits are off, as on-chain; <see cref="HasFeed"/> is false for a market without one.
/// </summary>
public sealed record MarketGuard(
    bool HasFeed,
    uint MaxFeedDeviationBps,
    ulong MaxFeedAgeSeconds,
    ulong MaxDecisionTtlSeconds,
    long FeedPriceE8,
    ulong FeedUpdatedAt)
{
    /// <summary>No limits: the market behaves as in version 1.</summary>
    public static MarketGuard Off { get; } = new(false, 0, 0, 0, 0, 0);
}

/// <summary>
/// What the contract's version-2 guards refuse, checked before signing so the quorum never signs a decision the chain
/// would reject: a decision living longer after its price than the market's TTL cap (a signed price must not be a free
/// option), and a mark price the independent feed contradicts by more than the allowed deviation, or checked against
/// a feed older than its allowed age.
/// </summary>
public static class FeedGuard
{
    /// <summary>Returns why <paramref name="decision"/> must not be signed under <paramref name="guard"/>, or null.</summary>
    public static string? Violation(Decision decision, MarketGuard guard, ulong nowSeconds)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(guard);
        if (guard.MaxDecisionTtlSeconds != 0 && decision.ValidUntil > decision.PriceTimestamp + guard.MaxDecisionTtlSeconds)
        {
            return $"validUntil {decision.ValidUntil} is {decision.ValidUntil - decision.PriceTimestamp} s after the price, " +
                   $"above the market's decision TTL of {guard.MaxDecisionTtlSeconds} s";
        }

        if (!guard.HasFeed || guard.MaxFeedDeviationBps == 0)
        {
            return null;
        }

        if (guard.FeedPriceE8 <= 0)
        {
            return $"the market's price feed answers {guard.FeedPriceE8}";
        }

        if (guard.MaxFeedAgeSeconds != 0 && nowSeconds > guard.FeedUpdatedAt + guard.MaxFeedAgeSeconds)
        {
            return $"the market's price feed was updated at {guard.FeedUpdatedAt}, more than {guard.MaxFeedAgeSeconds} s before {nowSeconds}";
        }

        var deviation = (Int128)Math.Abs(decision.MarkPriceE8 - guard.FeedPriceE8) * Domain.MarginMath.BpsDenominator;
        return deviation > (Int128)guard.MaxFeedDeviationBps * guard.FeedPriceE8
            ? $"mark price {decision.MarkPriceE8} is more than {guard.MaxFeedDeviationBps} bps from the feed's {guard.FeedPriceE8}"
            : null;
    }
}
