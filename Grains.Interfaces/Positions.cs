namespace Aml.Orleans.Grains.Interfaces;

/// <summary>
/// A trader's request for terms. Collateral is in collateral units (1e-6 USDC); leverage is X100 (1000 = 10.00x).
/// </summary>
[GenerateSerializer, Immutable, Alias("aml.QuoteRequest")]
public sealed record QuoteRequest(string Trader, string Asset, bool IsLong, long Collateral, long RequestedLeverageX100);

/// <summary>
/// A risk decision as the engine carries it, field for field the contract's <c>RiskDecision</c> but with prices in
/// E8 (the chain gets <c>markPriceE18 = MarkPriceE8 · 1e10</c>), 32-byte values and addresses as 0x hex.
/// </summary>
[GenerateSerializer, Immutable, Alias("aml.Decision")]
public sealed record Decision(
    DecisionKind Kind,
    string PositionId,
    string Asset,
    string Trader,
    bool IsLong,
    long Collateral,
    long Size,
    uint MaxLeverageX100,
    uint MaintenanceMarginBps,
    uint CloseFactorBps,
    ushort RiskScoreBps,
    long MarkPriceE8,
    ulong PriceTimestamp,
    ulong PositionVersion,
    ulong ValidUntil,
    string ModelHash,
    string FeaturesHash);

/// <summary>
/// A quote: the OPEN decision the trader is asked to sign (its EIP-712 digest), or a reason it was refused. Quotes are
/// not stored: <paramref name="Inputs"/>, what the decision was computed from, travel with the quote and come back with
/// the open (the gateway seals them into the quote token), so the outcome store gets them however late the open is.
/// </summary>
[GenerateSerializer, Immutable, Alias("aml.QuoteResult")]
public sealed record QuoteResult(bool Accepted, string? Reason, Decision? Decision, string? Digest, RiskExplanation? Explanation, DecisionInputs? Inputs = null);

/// <summary>
/// The quoted decision, its digest and the trader's signature over it (65-byte r‖s‖v hex), with the quote's inputs for
/// the outcome store (null: recorded without them).
/// </summary>
[GenerateSerializer, Immutable, Alias("aml.OpenPositionCommand")]
public sealed record OpenPositionCommand(Decision Quote, string Digest, string TraderSignature, DecisionInputs? Inputs = null);

/// <summary>A CLOSE handed out for the trader's wallet to send, or the reason the position cannot close now.</summary>
[GenerateSerializer, Immutable, Alias("aml.CloseResult")]
public sealed record CloseResult(bool Accepted, string? Reason, SignedDecision? Close);

/// <summary>Outcome of a position command: the snapshot after it, or a reason it was refused.</summary>
[GenerateSerializer, Immutable, Alias("aml.PositionResult")]
public sealed record PositionResult(bool Accepted, string? Reason, PositionSnapshot? Position);

/// <summary>
/// A position as the trader and the operator see it; <c>BorrowFee</c> is the fee accrued now (charged when it settles),
/// <c>EscrowedPayout</c> what the contract owes the trader from it but could not transfer (their <c>claim</c>).
/// </summary>
[GenerateSerializer, Immutable, Alias("aml.PositionSnapshot")]
public sealed record PositionSnapshot(
    string PositionId,
    string Trader,
    string Asset,
    bool IsLong,
    PositionStatus Status,
    long Collateral,
    long Size,
    long EntryPriceE8,
    uint MaxLeverageX100,
    uint MaintenanceMarginBps,
    ushort RiskScoreBps,
    ulong OnChainVersion,
    long LiquidationPriceE8,
    long WarningPriceE8,
    long LastMarkPriceE8,
    long MarginRatioBps,
    Suggestion Suggestion,
    string? SuggestionReason,
    string? LastDecisionDigest,
    string? ModelHash,
    DateTimeOffset UpdatedAt,
    string? PendingDigest = null,
    long BorrowFee = 0,
    long EscrowedPayout = 0,
    string? RejectionReason = null,
    string? CloseDigest = null,
    ulong CloseValidUntil = 0);

/// <summary>
/// A position as the contract holds it (<c>getPosition</c>), prices converted to E8, with a tighter maintenance margin
/// that waits out its grace period (<c>pendingMargin</c>: zero when none) and the unix time it takes effect, and the
/// borrow indices (<c>borrowIndex</c>): the position's, and the market's at unix time <c>BorrowIndexAt</c>, from which
/// the fee at any later time follows (version 2). <c>ReadAtBlock</c> is the block it was read at: a top-up changes the
/// collateral but not the version, so an older read delivered late must not overwrite a newer one.
/// </summary>
[GenerateSerializer, Immutable, Alias("aml.ChainPosition")]
public sealed record ChainPosition(
    string Trader,
    string Asset,
    bool IsLong,
    long Collateral,
    long Size,
    long EntryPriceE8,
    uint MaxLeverageX100,
    uint MaintenanceMarginBps,
    ushort RiskScoreBps,
    ulong Version,
    ChainPositionStatus Status,
    bool Frozen,
    uint PendingMarginBps = 0,
    ulong PendingMarginFrom = 0,
    ulong PositionBorrowIndex = 0,
    ulong MarketBorrowIndex = 0,
    ulong BorrowIndexAt = 0,
    ulong ReadAtBlock = 0);

/// <summary>The contract's position status codes.</summary>
[GenerateSerializer, Alias("aml.ChainPositionStatus")]
public enum ChainPositionStatus : byte
{
    /// <summary>No such position.</summary>
    None = 0,

    /// <summary>Open.</summary>
    Open = 1,

    /// <summary>Closed by the trader.</summary>
    Closed = 2,

    /// <summary>Liquidated in full.</summary>
    Liquidated = 3,
}

/// <summary>
/// A contract event about a position with the position as the chain holds it after the event, so that grain state
/// follows the chain (the chain is the truth; the grain is a cache that can act). <c>SkipReason</c> is the contract's
/// <c>SkipReason</c> code of a <c>DecisionSkipped</c> event (0 otherwise); <c>Amount</c> the amount a
/// <c>PayoutEscrowed</c> or <c>BorrowFeeCharged</c> event names (0 otherwise). A <c>PositionOpened</c> or
/// <c>RiskUpdated</c> carries the model and features hashes of the decision it names (from the oracle's own batch, or
/// decoded from the transaction's calldata), so the position learns which model its terms in force came from without
/// asking the oracle back.
/// </summary>
[GenerateSerializer, Immutable, Alias("aml.ChainPositionEvent")]
public sealed record ChainPositionEvent(
    string EventName,
    string PositionId,
    string? DecisionDigest,
    ulong BlockNumber,
    string TransactionHash,
    ChainPosition Position,
    long RealizedPnl,
    long BadDebt,
    int SkipReason = 0,
    ulong BlockTimestamp = 0,
    long Amount = 0,
    string? DecisionModelHash = null,
    string? DecisionFeaturesHash = null,
    long? DecisionMarkPriceE8 = null);
