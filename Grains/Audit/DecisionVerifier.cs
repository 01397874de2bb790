using System.Numerics;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Risk;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;

namespace Aml.Orleans.Grains.Audit;

/// <summary>
/// Checks one decision end to end, from its <see cref="DecisionEvidence"/>: the features hash over the stored bytes, the
/// model set by hash, the three numbers recomputed bit for bit with that set, the EIP-712 digest, the transaction and
/// its event, the signatures and the on-chain signer set and model registry at the transaction's block. One verdict
/// per check, in that order; a check whose inputs an earlier one refused fails saying so rather than being skipped.
/// </summary>
public static class DecisionVerifier
{
    /// <summary>The checks, in the order they are reported.</summary>
    public static IReadOnlyList<string> Checks { get; } =
        ["decision", "features", "model", "recompute", "digest", "transaction", "signatures", "signer set", "model registered"];

    /// <summary>Every check's verdict for <paramref name="evidence"/>.</summary>
    public static IReadOnlyList<Verdict> Verify(DecisionEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        if (evidence.Outcome is not { } outcome)
        {
            return Checks.Select(c => new Verdict(c, false, c == "decision"
                ? $"{evidence.Digest} is not in the outcome store"
                : "no recorded decision to check")).ToArray();
        }

        var decision = outcome.Decision;
        var verdicts = new List<Verdict> { EnforcedTermsVerdicts.Enforces(decision.Kind)
            ? EnforcedTermsVerdicts.Decision(outcome, evidence.Terms)
            : new("decision", true, $"{decision.Kind.ToString().ToUpperInvariant()} of position {decision.PositionId} at {outcome.DecidedAt:O}") };
        var features = Features(outcome.Inputs, decision);
        verdicts.Add(features);
        var model = evidence.Models is { } models && models.ModelHash == decision.ModelHash
            ? new Verdict("model", true, $"{decision.ModelHash} loaded from the model store and its files hash to it")
            : new Verdict("model", false, evidence.ModelProblem ?? $"the model store has no set {decision.ModelHash}");
        verdicts.Add(model);
        verdicts.Add(!features.Passed || !model.Passed ? new Verdict("recompute", false, "needs the features and the model")
            : evidence.Terms is { } terms ? EnforcedTermsVerdicts.Recompute(decision, terms, Recompute(evidence.Models!, outcome.Inputs!, terms.SetBy.Decision))
            : Recompute(evidence.Models!, outcome.Inputs!, decision));
        verdicts.Add(Digest(evidence));
        var (transaction, signedDigest, quorum, traderSignature) = Transaction(evidence);
        verdicts.Add(transaction);
        var recovered = signedDigest is null ? null : Recover(signedDigest, quorum!);
        verdicts.Add(Signatures(evidence, decision, recovered, signedDigest, traderSignature));
        verdicts.Add(SignerSet(evidence, quorum, recovered));
        verdicts.Add(evidence.Receipt is null
            ? new Verdict("model registered", false, "no transaction block to read the registry at")
            : new Verdict("model registered", evidence.ModelRegistered,
                $"isModelAllowed({decision.ModelHash}) at block {evidence.Receipt.BlockNumber} is {evidence.ModelRegistered.ToString().ToLowerInvariant()}"));
        return verdicts;
    }

    private static Verdict Features(DecisionInputs? inputs, Decision decision)
    {
        if (inputs is null)
        {
            return new Verdict("features", false, "the outcome store holds no feature bytes for this decision");
        }

        var hash = Hex.Encode(Keccak.Hash(inputs.FeatureBytes));
        if (hash != decision.FeaturesHash)
        {
            return new Verdict("features", false, $"keccak256 of the stored feature bytes is {hash}, the decision's featuresHash {decision.FeaturesHash}");
        }

        var encoded = RiskEngine.FeatureBytes(Input(inputs));
        return encoded.AsSpan().SequenceEqual(inputs.FeatureBytes)
            ? new Verdict("features", true, $"keccak256 of {inputs.FeatureBytes.Length} feature bytes is featuresHash {hash}, and the engine encodes the stored input to them")
            : new Verdict("features", false, $"the stored input encodes to {Hex.Encode(Keccak.Hash(encoded))}, not to the stored bytes {hash}");
    }

    private static Verdict Recompute(RiskModelSet models, DecisionInputs inputs, Decision decision)
    {
        var b = inputs.Bounds;
        if (b is not { Length: 5 })
        {
            return new Verdict("recompute", false, "the stored bounds are not the five market bounds");
        }

        using var engine = new RiskEngine(models, new RiskEngineOptions { LeverageAlpha = inputs.LeverageAlpha });
        RiskOutput output;
        try
        {
            output = engine.Assess(Input(inputs), new MarketBounds(b[0], b[1], b[2], b[3], b[4]));
        }
        catch (ArgumentException e)
        {
            return new Verdict("recompute", false, $"the engine refuses the stored input: {e.Message}");
        }

        var got = $"cap {output.MaxLeverageX100} (X100), margin {output.MaintenanceMarginBps} bps, score {output.RiskScoreBps} bps at α {inputs.LeverageAlpha}";
        // An ADJUST moves the margin one market step toward the model's: its cap and score are the model's, its margin the step.
        var marginSigned = decision.Kind == DecisionKind.Adjust ? inputs.MaintenanceMarginBps : decision.MaintenanceMarginBps;
        var same = output.MaxLeverageX100 == decision.MaxLeverageX100 && output.RiskScoreBps == decision.RiskScoreBps &&
                   output.MaintenanceMarginBps == marginSigned && output.MaintenanceMarginBps == inputs.MaintenanceMarginBps;
        return new Verdict("recompute", same, same
            ? $"{got}, as signed"
            : $"{got}; signed cap {decision.MaxLeverageX100}, margin {marginSigned} bps (stored prediction {inputs.MaintenanceMarginBps}), score {decision.RiskScoreBps}");
    }

    private static Verdict Digest(DecisionEvidence evidence)
    {
        if (evidence.ChainDecision is null)
        {
            return new Verdict("digest", false, "the decision's market is not in the deployment");
        }

        var digest = Hex.Encode(evidence.ChainDecision.Digest(evidence.Domain));
        return new Verdict("digest", digest == evidence.Digest, digest == evidence.Digest
            ? $"EIP-712 digest of the decision under chain {evidence.Domain.ChainId}'s MarginManager {evidence.Domain.VerifyingContract} is {digest}"
            : $"the decision hashes to {digest}, not {evidence.Digest}");
    }

    // The transaction that carried the decision: what its quorum signed, and the trader's signature of an OPEN.
    private static (Verdict Verdict, byte[]? SignedDigest, Quorum? Quorum, byte[]? TraderSignature) Transaction(DecisionEvidence evidence)
    {
        if (evidence.TransactionHash is null || evidence.Receipt is not { } receipt || evidence.Calldata is not { } calldata)
        {
            return (new Verdict("transaction", false, evidence.TransactionHash is null ? "the oracle's audit names no transaction" : $"{evidence.TransactionHash} has no receipt"), null, null, null);
        }

        if (!receipt.Succeeded)
        {
            return (new Verdict("transaction", false, $"{evidence.TransactionHash} reverted"), null, null, null);
        }

        var (carried, signedDigest, quorum, traderSignature) = Carried(evidence, calldata);
        var digest = Hex.Decode(evidence.Digest);
        var logged = receipt.Logs.Any(l => l.Topics.Any(t => t.Bytes.SequenceEqual(digest)) || l.Data.AsSpan().IndexOf(digest) >= 0);
        var detail = $"{evidence.TransactionHash} in block {receipt.BlockNumber}: " +
                     (carried is null ? "its calldata is no MarginManager decision call" : carried.Value ? "its calldata carries the decision" : "its calldata does not carry this decision") +
                     (logged ? ", an event carries the digest" : ", no event carries the digest");
        return (new Verdict("transaction", carried == true && logged, detail), carried == true ? signedDigest : null, quorum, traderSignature);
    }

    private static (bool? Carried, byte[]? SignedDigest, Quorum? Quorum, byte[]? TraderSignature) Carried(DecisionEvidence evidence, byte[] calldata)
    {
        if (DecisionCall.Decode(calldata) is not { } call)
        {
            return (null, null, null, null);
        }

        var ours = evidence.ChainDecision;
        return (ours is not null && call.Decisions.Contains(ours), call.SignedDigest(evidence.Domain), call.Quorum, call.TraderSignature);
    }

    // The address each compact signature recovers to over the signed digest, in bitmap order (null: not a signature).
    private static Address?[] Recover(byte[] signedDigest, Quorum quorum)
    {
        var count = quorum.Signatures.Length / 64;
        var recovered = new Address?[count];
        for (var i = 0; i < count; i++)
        {
            try
            {
                recovered[i] = Secp256k1.RecoverAddress(signedDigest, Signature.FromCompact(quorum.Signatures.AsSpan(i * 64, 64)));
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
            {
                recovered[i] = null;
            }
        }

        return recovered;
    }

    private static Verdict Signatures(DecisionEvidence evidence, Decision decision, Address?[]? recovered, byte[]? signedDigest, byte[]? traderSignature)
    {
        if (recovered is null || signedDigest is null)
        {
            return new Verdict("signatures", false, "no transaction carrying the decision to read the signatures from");
        }

        var strangers = recovered.Where(a => a is null || !evidence.KnownSigners.Contains(a.Value)).ToList();
        if (strangers.Count > 0)
        {
            return new Verdict("signatures", false, $"{strangers.Count} of {recovered.Length} quorum signatures recover to no oracle signer of the deployment " +
                                                    $"({string.Join(", ", strangers.Select(a => a?.ToString() ?? "invalid"))})");
        }

        var signers = string.Join(", ", recovered.Select(a => a!.Value.ToString()));
        if (decision.Kind != DecisionKind.Open)
        {
            return new Verdict("signatures", true, $"{recovered.Length} quorum signatures over {Hex.Encode(signedDigest)} recover to {signers}");
        }

        Address? trader = null;
        try
        {
            trader = traderSignature is null ? null : Secp256k1.RecoverAddress(Hex.Decode(evidence.Digest), Signature.FromRsv(traderSignature));
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            trader = null;
        }

        var isTrader = trader is { } t && string.Equals(t.ToString(), decision.Trader, StringComparison.OrdinalIgnoreCase);
        return new Verdict("signatures", isTrader, isTrader
            ? $"{recovered.Length} quorum signatures recover to {signers}; the trader's to {decision.Trader}"
            : $"the trader's signature recovers to {trader?.ToString() ?? "nothing"}, not {decision.Trader}");
    }

    private static Verdict SignerSet(DecisionEvidence evidence, Quorum? quorum, Address?[]? recovered)
    {
        if (quorum is null || recovered is null || evidence.Receipt is null)
        {
            return new Verdict("signer set", false, "no quorum to hold against the signer set");
        }

        var bits = Enumerable.Range(0, 256).Where(i => !(quorum.SignerBitmap >> i & BigInteger.One).IsZero).ToList();
        var block = evidence.Receipt.BlockNumber;
        if (bits.Count != recovered.Length || bits.Any(i => i >= evidence.ChainSigners.Count))
        {
            return new Verdict("signer set", false, $"the bitmap names signers {string.Join(", ", bits)} of the {evidence.ChainSigners.Count} at block {block}, with {recovered.Length} signatures");
        }

        var mismatched = bits.Select((bit, k) => (bit, k)).Where(p => recovered[p.k] != evidence.ChainSigners[p.bit]).ToList();
        if (mismatched.Count > 0)
        {
            return new Verdict("signer set", false, string.Join("; ", mismatched.Select(p =>
                $"signature {p.k} recovers to {recovered[p.k]?.ToString() ?? "nothing"}, signer {p.bit} at block {block} is {evidence.ChainSigners[p.bit]}")));
        }

        return bits.Count >= evidence.ChainThreshold
            ? new Verdict("signer set", true, $"signers {string.Join(", ", bits)} of the contract's {evidence.ChainSigners.Count} at block {block}, threshold {evidence.ChainThreshold}")
            : new Verdict("signer set", false, $"{bits.Count} signers, the threshold at block {block} is {evidence.ChainThreshold}");
    }

    /// <summary>The engine's input as the outcome store holds it.</summary>
    internal static RiskInput Input(DecisionInputs inputs)
    {
        var t = inputs.TraderFeatures;
        return new RiskInput(inputs.MarketFeatures, inputs.IsLong, inputs.RequestedLeverage, inputs.NotionalToQuoteVolume,
            new TraderFeatures((int)t[0], t[1], t[2], t[3], t[4], t[5]));
    }
}
