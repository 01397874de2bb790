using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;

namespace Aml.Orleans.Grains.Oracle;

/// <summary>The markets' feed guards as the signers see them (<see cref="MarketGuardReader"/> on a live chain).</summary>
public interface IMarketGuards
{
    /// <summary>The guard of <paramref name="asset"/> as last read.</summary>
    Task<MarketGuard> GetAsync(string asset, CancellationToken cancellationToken = default);

    /// <summary>The guard of <paramref name="asset"/> read now, for a decision the last view refuses.</summary>
    Task<MarketGuard> ReadNowAsync(string asset, CancellationToken cancellationToken = default);
}

/// <summary>
/// What the oracle's signers sign and how: a decision inside the market's bounds (<see cref="DecisionBounds"/>) and its
/// feed guard (<see cref="FeedGuard"/>), a relayed OPEN only with the trader's own signature over its digest, a CLOSE
/// only handed out (the trader sends it), and every quorum from exactly M of the keys this node holds. Nothing here
/// reads the chain except a guard the last view refuses.
/// </summary>
public sealed class SigningPolicy(ChainContext chain, IMarketGuards guards, MarketCatalogOptions catalog, TimeProvider clock)
{
    /// <summary>Why the signers refuse to take <paramref name="decision"/> in for sending, or null (checks nothing on-chain).</summary>
    public string? RefusalToSubmit(Decision decision, string? traderSignature)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (BoundsViolation(decision) is { } violation)
        {
            return violation;
        }

        return decision.Kind switch
        {
            DecisionKind.Close => "a CLOSE is sent by the trader (the contract requires it): ask for a signed decision instead",
            DecisionKind.Open when traderSignature is null => "a relayed OPEN needs the trader's signature over the decision digest",
            DecisionKind.Open => TraderSignatureViolation(decision, traderSignature!),
            _ => null,
        };
    }

    /// <summary>Why the signers refuse to sign <paramref name="decision"/> for the caller to send, or null.</summary>
    public async Task<string?> RefusalToSignAsync(Decision decision, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decision);
        return BoundsViolation(decision) ?? await GuardViolationAsync(decision, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The market's feed guard and decision TTL cap, as last read (read again only for a decision the view refuses:
    /// the feed may have caught up since). Checked right before a batch is signed, so a decision that aged past its
    /// market's limits while queued is not signed.
    /// </summary>
    public async Task<string?> GuardViolationAsync(Decision decision, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var now = (ulong)clock.GetUtcNow().ToUnixTimeSeconds();
        return FeedGuard.Violation(decision, await guards.GetAsync(decision.Asset, cancellationToken).ConfigureAwait(false), now) is null
            ? null
            : FeedGuard.Violation(decision, await guards.ReadNowAsync(decision.Asset, cancellationToken).ConfigureAwait(false), now);
    }

    /// <summary>A quorum over <paramref name="digest"/>: exactly the contract's threshold of this node's keys, in signer-set order.</summary>
    public Task<Quorum> QuorumAsync(byte[] digest, CancellationToken cancellationToken = default) =>
        QuorumBuilder.SignAsync(chain.OnChainSigners, chain.Keys, chain.Deployment.Threshold, digest, cancellationToken);

    private string? BoundsViolation(Decision decision)
    {
        MarketTerms terms;
        try
        {
            terms = catalog.For(decision.Asset);
        }
        catch (KeyNotFoundException ex)
        {
            return ex.Message;
        }

        return DecisionBounds.Violation(decision, terms, clock.GetUtcNow());
    }

    private string? TraderSignatureViolation(Decision decision, string traderSignature)
    {
        var onChain = chain.ToChain(decision);
        var recovered = TryRecover(onChain.Digest(chain.Domain), traderSignature);
        return recovered == onChain.Trader ? null : $"trader signature recovers to {recovered?.ToString() ?? "nothing"}, not {onChain.Trader}";
    }

    private static Address? TryRecover(byte[] digest, string signatureHex)
    {
        try
        {
            return Secp256k1.RecoverAddress(digest, Signature.FromRsv(Hex.Decode(signatureHex)));
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            return null;
        }
    }
}
