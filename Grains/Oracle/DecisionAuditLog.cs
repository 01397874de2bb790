using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using Npgsql;

namespace Aml.Orleans.Grains.Oracle;

/// <summary>Where the oracle keeps its audit trail: one row per decision, updated as the decision moves.</summary>
public interface IDecisionAuditLog
{
    /// <summary>Inserts or updates the row of <paramref name="audit"/>'s digest.</summary>
    Task UpsertAsync(DecisionAudit audit, CancellationToken cancellationToken = default);
}

/// <summary>The audit trail in PostgreSQL (<c>aml_audit_decision</c>, migration 0005).</summary>
public sealed class PostgresDecisionAuditLog(NpgsqlDataSource dataSource) : IDecisionAuditLog
{
    private const string Upsert = """
        INSERT INTO aml_audit_decision
            (decision_digest, position_id, kind, features_hash, model_hash, signer_bitmap, tx_hash, status, outcome, updated_at)
        VALUES (@digest, @position, @kind, @features, @model, @bitmap, @tx, @status, @outcome, now())
        ON CONFLICT (decision_digest) DO UPDATE SET
            signer_bitmap = EXCLUDED.signer_bitmap, tx_hash = EXCLUDED.tx_hash, status = EXCLUDED.status,
            outcome = EXCLUDED.outcome, updated_at = now()
        """;

    /// <inheritdoc />
    public async Task UpsertAsync(DecisionAudit audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        await using var command = dataSource.CreateCommand(Upsert);
        command.Parameters.AddWithValue("digest", Hex.Decode(audit.Digest));
        command.Parameters.AddWithValue("position", audit.PositionId);
        command.Parameters.AddWithValue("kind", audit.Kind.ToString().ToUpperInvariant());
        command.Parameters.AddWithValue("features", Hash32OrZero(audit.FeaturesHash));
        command.Parameters.AddWithValue("model", Hash32OrZero(audit.ModelHash));
        command.Parameters.AddWithValue("bitmap", Convert.ToInt64(audit.SignerBitmap, 16));
        command.Parameters.AddWithValue("tx", audit.TransactionHash is null ? DBNull.Value : Hex.Decode(audit.TransactionHash));
        command.Parameters.AddWithValue("status", audit.Status.ToString().ToUpperInvariant());
        command.Parameters.AddWithValue("outcome", (object?)audit.Outcome ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // A decision refused for a malformed hash is still audited; its hash column then reads as zero.
    private static byte[] Hash32OrZero(string hex) =>
        hex.Length == 66 && hex.StartsWith("0x", StringComparison.Ordinal) ? Hex.Decode(hex) : new byte[32];
}
