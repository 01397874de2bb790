using Aml.Orleans.Grains.Interfaces;
using Microsoft.Extensions.Logging;

namespace Aml.Orleans.Grains.Positions;

/// <summary>The position's log lines.</summary>
internal sealed partial class PositionGrain
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Position {PositionId}: the outcome store did not take decision {Digest}: {Reason}")]
    private partial void LogOutcomeNotStored(string positionId, string digest, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Position {PositionId}: decision {Digest} is recorded without its features {FeaturesHash} (the open brought none, or not this decision's)")]
    private partial void LogInputsGone(string positionId, string digest, string featuresHash);

    // Debug: a cascade brings ten thousand of these at once; the relay writes one Information line per delivery.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Position {PositionId} follows chain event {EventName}: version {Version}, {Status}")]
    private partial void LogChainEvent(string positionId, string eventName, ulong version, PositionStatus status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Position {PositionId} is liquidatable at {PriceE8} but frozen by the guardian")]
    private partial void LogFrozen(string positionId, long priceE8);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Position {PositionId} liquidation at {PriceE8}: decision {Digest} {Status}")]
    private partial void LogLiquidationRouted(string positionId, long priceE8, string digest, SubmissionStatus status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Position {PositionId} adjusts margin {From} → {To} bps, cap {Cap}: decision {Digest}")]
    private partial void LogAdjustRouted(string positionId, uint from, uint to, uint cap, string digest);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Position {PositionId} could not be re-assessed: {Reason}")]
    private partial void LogReassessFailed(string positionId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Position {PositionId} re-assessment waits: its price from {PriceAt} is older than the position's last on-chain change at {ChangedAt}")]
    private partial void LogReassessWaitsForPrice(string positionId, DateTimeOffset priceAt, DateTimeOffset? changedAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Position {PositionId} decision {Digest} failed: {Outcome}")]
    private partial void LogDecisionFailed(string positionId, string digest, string outcome);
}
