using Aml.Orleans.Ethereum;
using Names = Aml.Orleans.Ethereum.MarginManagerNames.Functions;

namespace Aml.Orleans.Grains.Audit;

/// <summary>
/// A MarginManager call that carries decisions, decoded from its calldata: the decisions, the quorum over them, the
/// trader's signature of a relayed OPEN, and the batch when it is one (the quorum then signs the batch's digest).
/// </summary>
public sealed record DecisionCall(IReadOnlyList<RiskDecision> Decisions, Quorum Quorum, byte[]? TraderSignature, DecisionList? Batch)
{
    // The calls whose arguments start (decision, quorum[, traderSig]); applyDecisions carries a list instead.
    private static readonly string[] SingleDecisionCalls = [Names.OpenPositionFor, Names.OpenPosition, Names.ApplyDecision, Names.ClosePosition];

    /// <summary>The digest the quorum signed: the batch's, or the one decision's.</summary>
    public byte[] SignedDigest(Eip712Domain domain) => Batch?.Digest(domain) ?? Decisions[0].Digest(domain);

    /// <summary>The decision of this call whose EIP-712 digest is <paramref name="digest"/>, or null.</summary>
    public RiskDecision? WithDigest(Eip712Domain domain, string digest) =>
        Decisions.FirstOrDefault(d => string.Equals(Hex.Encode(d.Digest(domain)), digest, StringComparison.OrdinalIgnoreCase));

    /// <summary>The call <paramref name="calldata"/> makes, or null when it is no MarginManager decision call.</summary>
    public static DecisionCall? Decode(ReadOnlySpan<byte> calldata)
    {
        var selector = calldata[..Math.Min(4, calldata.Length)];
        foreach (var name in SingleDecisionCalls)
        {
            var function = MarginManagerAbi.Function(name);
            if (selector.SequenceEqual(function.Selector))
            {
                var values = function.DecodeCall(calldata);
                return new DecisionCall([RiskDecision.FromAbiValue(values[0])], Quorum.FromAbiValue(values[1]), values.Length > 2 ? (byte[])values[2] : null, null);
            }
        }

        if (selector.SequenceEqual(MarginManagerAbi.Function(Names.ApplyDecisions).Selector))
        {
            var (list, quorum) = MarginManagerAbi.DecodeApplyDecisions(calldata);
            return new DecisionCall(list.Decisions, quorum, null, list);
        }

        return null;
    }
}
