using Microsoft.Extensions.Logging;

namespace Aml.Orleans.Grains.Oracle;

/// <summary>The oracle's log lines: one per transaction or batch, never one per decision of a batch.</summary>
internal sealed partial class OracleGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Oracle resuming: {Queued} queued, {InFlight} transactions in flight")]
    private partial void LogResuming(int queued, int inFlight);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Oracle refused decision {Digest} for position {PositionId}: {Reason}")]
    private partial void LogRefused(string digest, string positionId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Oracle refused {Count} of {Total} decisions, the first {Digest} for position {PositionId}: {Reason}")]
    private partial void LogRefusedMany(int count, int total, string digest, string positionId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Oracle sending {Transaction} with {Count} decisions (batch nonce {BatchNonce})")]
    private partial void LogSending(string transaction, int count, ulong? batchNonce);

    [LoggerMessage(Level = LogLevel.Information, Message = "Oracle transaction {Transaction} settled: gas {Gas}, {Applied} of {Count} applied")]
    private partial void LogSettled(string transaction, ulong gas, int applied, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Oracle transaction {Transaction} lost its nonce; {Count} decisions requeued")]
    private partial void LogRequeued(string transaction, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Oracle transaction {Transaction} was in block {Block}, which a reorg removed: re-sending it with its {Count} decisions")]
    private partial void LogReorged(string transaction, ulong block, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Oracle transaction {Transaction} was not confirmed by its broadcast, looking it up: {Reason}")]
    private partial void LogSendFailed(string transaction, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Oracle could not relay the events of {Transaction} to their positions (the indexer will): {Reason}")]
    private partial void LogRelayFailed(string transaction, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Oracle cannot reach the chain, work stays queued: {Reason}")]
    private partial void LogChainUnavailable(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The audit rows of queued decisions are not written yet, the next flush tries again: {Reason}")]
    private partial void LogAuditFailed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The oracle's state is in its journal, but the grain-state blob it came from could not be cleared yet: {Reason}")]
    private partial void LogBlobNotCleared(string reason);
}
