using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using Npgsql;
using NpgsqlTypes;

namespace Aml.Orleans.Grains.Oracle;

/// <summary>
/// The oracle's audit trail in PostgreSQL (<c>aml_audit_decision</c>, migrations 0005 and 0011): one row per decision,
/// updated as the decision moves. The rows go out in the same batch as the oracle's journal rows
/// (<c>Storage/OracleJournalTable</c>), so a decision's audit row is stored exactly when its change is.
/// </summary>
public static class DecisionAuditRows
{
    // One statement for the whole batch: the columns travel as arrays and unnest pairs them up again row by row. A new
    // row's created_at is now() plus its place in the batch in microseconds, so rows inserted together keep their order
    // (one now() for all would tie them, and readers order by created_at).
    private const string Upsert = """
        INSERT INTO aml_audit_decision
            (decision_digest, position_id, kind, features_hash, model_hash, signer_bitmap, tx_hash, status, outcome, signed_at, created_at, updated_at)
        SELECT d, p, k, f, m, b, t, s, o, sa, now() + n * interval '1 microsecond', now()
        FROM unnest(@digest, @position, @kind, @features, @model, @bitmap, @tx, @status, @outcome, @signed) WITH ORDINALITY AS r(d, p, k, f, m, b, t, s, o, sa, n)
        ON CONFLICT (decision_digest) DO UPDATE SET
            signer_bitmap = EXCLUDED.signer_bitmap, tx_hash = EXCLUDED.tx_hash, status = EXCLUDED.status,
            outcome = EXCLUDED.outcome, signed_at = COALESCE(aml_audit_decision.signed_at, EXCLUDED.signed_at), updated_at = now()
        """;

    /// <summary>
    /// The upsert of <paramref name="audits"/> (by digest; digests must be distinct) as one statement of a batch: a batch
    /// of decisions costs one statement, not one per decision.
    /// </summary>
    public static NpgsqlBatchCommand UpsertCommand(IReadOnlyList<DecisionAudit> audits)
    {
        ArgumentNullException.ThrowIfNull(audits);
        var command = new NpgsqlBatchCommand(Upsert);
        command.Parameters.Add(Column("digest", NpgsqlDbType.Bytea, audits.Select(a => Hex.Decode(a.Digest))));
        command.Parameters.Add(Column("position", NpgsqlDbType.Text, audits.Select(a => a.PositionId)));
        command.Parameters.Add(Column("kind", NpgsqlDbType.Text, audits.Select(a => a.Kind.ToString().ToUpperInvariant())));
        command.Parameters.Add(Column("features", NpgsqlDbType.Bytea, audits.Select(a => Hash32OrZero(a.FeaturesHash))));
        command.Parameters.Add(Column("model", NpgsqlDbType.Bytea, audits.Select(a => Hash32OrZero(a.ModelHash))));
        command.Parameters.Add(Column("bitmap", NpgsqlDbType.Bigint, audits.Select(a => Convert.ToInt64(a.SignerBitmap, 16))));
        command.Parameters.Add(Column("tx", NpgsqlDbType.Bytea, audits.Select(a => a.TransactionHash is null ? null : Hex.Decode(a.TransactionHash))));
        command.Parameters.Add(Column("status", NpgsqlDbType.Text, audits.Select(a => a.Status.ToString().ToUpperInvariant())));
        command.Parameters.Add(Column("outcome", NpgsqlDbType.Text, audits.Select(a => a.Outcome)));
        command.Parameters.Add(Column("signed", NpgsqlDbType.TimestampTz, audits.Select(a => a.SignedAt?.UtcDateTime)));
        return command;
    }

    private static NpgsqlParameter<T[]> Column<T>(string name, NpgsqlDbType elementType, IEnumerable<T> values) =>
        new(name, NpgsqlDbType.Array | elementType) { TypedValue = values.ToArray() };

    // A decision refused for a malformed hash is still audited; its hash column then reads as zero.
    private static byte[] Hash32OrZero(string hex) =>
        hex.Length == 66 && hex.StartsWith("0x", StringComparison.Ordinal) ? Hex.Decode(hex) : new byte[32];
}
