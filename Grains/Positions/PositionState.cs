using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Positions;

/// <summary>A position's durable state. Terms mirror the chain; the rest is what the engine needs to act.</summary>
[GenerateSerializer, Alias("aml.PositionState")]
public sealed class PositionState
{
    [Id(0)] public string Trader { get; set; } = "";
    [Id(1)] public string Asset { get; set; } = "";
    [Id(2)] public bool IsLong { get; set; }
    [Id(3)] public PositionStatus Status { get; set; } = PositionStatus.Requested;
    [Id(4)] public long Collateral { get; set; }
    [Id(5)] public long Size { get; set; }
    [Id(6)] public long EntryPriceE8 { get; set; }
    [Id(7)] public uint MaxLeverageX100 { get; set; }
    [Id(8)] public uint MaintenanceMarginBps { get; set; }
    [Id(9)] public ushort RiskScoreBps { get; set; }

    /// <summary>The contract's version of the position; every decision must carry it.</summary>
    [Id(10)] public ulong OnChainVersion { get; set; }

    /// <summary>The decision on its way to the chain, if any (one at a time per position).</summary>
    [Id(11)] public Decision? PendingDecision { get; set; }

    [Id(12)] public string? PendingDigest { get; set; }
    [Id(13)] public string? LastDecisionDigest { get; set; }
    [Id(14)] public string? ModelHash { get; set; }
    [Id(15)] public string? FeaturesHash { get; set; }
    [Id(16)] public long LastMarkPriceE8 { get; set; }
    [Id(17)] public Suggestion Suggestion { get; set; }
    [Id(18)] public string? SuggestionReason { get; set; }
    [Id(19)] public DateTimeOffset UpdatedAt { get; set; }
    [Id(20)] public DateTimeOffset? OpenedAt { get; set; }

    /// <summary>True once the position exists (quoted or seen on-chain).</summary>
    [Id(21)] public bool Exists { get; set; }

    /// <summary>Whether the guardian froze the position on-chain (no oracle-path changes).</summary>
    [Id(22)] public bool Frozen { get; set; }

    /// <summary>When <see cref="LastMarkPriceE8"/> was observed.</summary>
    [Id(23)] public DateTimeOffset? LastMarkAt { get; set; }

    /// <summary>When the engine saw the chain change the position last (decisions need a price at least as new).</summary>
    [Id(24)] public DateTimeOffset? LastChainChangeAt { get; set; }

    /// <summary>A tighter margin in its grace period (0 when none), effective from <see cref="PendingMarginFrom"/> (unix s).</summary>
    [Id(25)] public uint PendingMarginBps { get; set; }

    [Id(26)] public ulong PendingMarginFrom { get; set; }

    /// <summary>When the position last asked the risk models about its terms.</summary>
    [Id(27)] public DateTimeOffset? LastReassessedAt { get; set; }

    /// <summary>The block of the decision whose model and features hashes the position carries.</summary>
    [Id(28)] public ulong TermsBlock { get; set; }

    /// <summary>The position's borrow index (the market's when its fee was last charged).</summary>
    [Id(29)] public ulong PositionBorrowIndex { get; set; }

    /// <summary>The market's borrow index at unix time <see cref="BorrowIndexAt"/> (0: not read yet, no fee known).</summary>
    [Id(30)] public ulong MarketBorrowIndex { get; set; }

    [Id(31)] public ulong BorrowIndexAt { get; set; }

    /// <summary>The block the chain state above was read at (a later read of the same version wins).</summary>
    [Id(32)] public ulong ChainReadBlock { get; set; }

    /// <summary>A payout the token refused, escrowed for the trader's <c>claim</c>.</summary>
    [Id(33)] public long EscrowedPayout { get; set; }

    /// <summary>Why the chain or the oracle refused the open, in the trader's words.</summary>
    [Id(34)] public string? RejectionReason { get; set; }

    /// <summary>A CLOSE handed to the trader (not pending: the trader's wallet sends it), until it lands or expires.</summary>
    [Id(35)] public string? CloseDigest { get; set; }

    [Id(36)] public ulong CloseValidUntil { get; set; }

    /// <summary>A copy to change (every member is a value or immutable), so that a reducer leaves its input as it was.</summary>
    internal PositionState Copy() => (PositionState)MemberwiseClone();
}
