using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using Npgsql;
using NpgsqlTypes;

namespace Aml.Orleans.Grains.Oracle;

/// <summary>
/// The oracle's audit trail in PostgreSQL (<c>aml_audit_decision</c>, migrations 0005 and 0011): one row per decision,
/// updated as the decision moves. The rows go out in the same batch as the oracle's journal rows
/// (<c>Storage/OracleJournalTable</c>), so a decision's audit row is stored, or staged in the outbox table when the audit
/// table refuses it, exactly when its change is.
/// </summary>
public static class DecisionAuditRows
{
    /// <summary>The column the audit statement returns: true when the rows went into the audit table.</summary>
    public const string AuditedColumn = "audited";

    // One call for the whole batch: the columns travel as arrays and the function (migration 0013) upserts them, or
    // stages them in aml_oracle_audit_outbox when the audit table refuses, so the write around it still commits.
    private const string Upsert =
        $"SELECT aml_oracle_audit(@digest, @position, @kind, @features, @model, @bitmap, @tx, @status, @outcome, @signed) AS {AuditedColumn}";

    /// <summary>
    /// The upsert of <paramref name="audits"/> (by digest; digests must be distinct; none: only the staged rows) as one
    /// statement of a batch, returning <see cref="AuditedColumn"/>: a batch of decisions costs one statement, not one per
    /// decision.
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
