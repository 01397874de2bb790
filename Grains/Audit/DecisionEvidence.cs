using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Outcomes;
using Aml.Orleans.Risk;

namespace Aml.Orleans.Grains.Audit;

/// <summary>
/// Everything <see cref="DecisionVerifier"/> checks a decision against, gathered from the stores and the chain by
/// <see cref="DecisionEvidenceReader"/>. Kept as data so that the checks are pure, and a test can tamper with any part.
/// </summary>
/// <param name="Digest">The digest asked about (the audit's and outcome store's key).</param>
/// <param name="Outcome">The outcome store's row: the decision as signed and its inputs; null when not recorded.</param>
/// <param name="Models">The model set the decision names, from the model store; null when missing or altered.</param>
/// <param name="ModelProblem">Why <paramref name="Models"/> is null.</param>
/// <param name="ChainDecision">The decision in the contract's form (its market id from the deployment).</param>
/// <param name="Domain">The contract's EIP-712 domain.</param>
/// <param name="TransactionHash">The transaction the oracle's audit names; null when it has none.</param>
/// <param name="Calldata">That transaction's input.</param>
/// <param name="Receipt">That transaction's receipt.</param>
/// <param name="KnownSigners">The oracle's signer addresses as the deployment lists them.</param>
/// <param name="ChainSigners">The contract's <c>signers()</c> at the transaction's block.</param>
/// <param name="ChainThreshold">The contract's <c>threshold()</c> at that block.</param>
/// <param name="ModelRegistered">The contract's <c>isModelAllowed(modelHash)</c> at that block.</param>
/// <param name="Terms">For a LIQUIDATE or CLOSE: the recorded decision whose terms it enforces; null otherwise.</param>
public sealed record DecisionEvidence(
    string Digest,
    StoredOutcome? Outcome,
    RiskModelSet? Models,
    string? ModelProblem,
    RiskDecision? ChainDecision,
    Eip712Domain Domain,
    string? TransactionHash,
    byte[]? Calldata,
    TransactionReceipt? Receipt,
    IReadOnlyList<Address> KnownSigners,
    IReadOnlyList<Address> ChainSigners,
    int ChainThreshold,
    bool ModelRegistered,
    EnforcedTerms? Terms = null);

/// <summary>
/// A LIQUIDATE or CLOSE makes no assessment of its own: it enforces the cap, margin and score in force, and names the
/// model and features they rest on. The outcome store keeps the OPEN or ADJUST that set them (<paramref name="SetBy"/>),
/// and the margins the position was signed before it: a margin an ADJUST moved stays pending on-chain for a while,
/// so the one enforced may be an earlier decision's.
/// </summary>
public sealed record EnforcedTerms(StoredOutcome SetBy, IReadOnlyList<uint> SignedMargins);

/// <summary>One check's verdict: its name, whether it held, and what was compared.</summary>
public sealed record Verdict(string Check, bool Passed, string Detail)
{
    /// <summary>The line <c>aml verify</c> prints: <c>PASS check: detail</c> or <c>FAIL check: detail</c>.</summary>
    public override string ToString() => $"{(Passed ? "PASS" : "FAIL")} {Check}: {Detail}";
}
