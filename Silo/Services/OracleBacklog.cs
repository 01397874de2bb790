using System.Globalization;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Protos;
using Npgsql;

namespace Aml.Orleans.Silo.Services;

/// <summary>
/// The oracle's backlog read from its decision audit log (<c>aml_audit_decision</c>): what is signed but not settled.
/// The alert rule sees only the oldest age; the admin page shows which decisions those are.
/// </summary>
internal static class OracleBacklog
{
    private const int DefaultLimit = 20;
    private const int MaxLimit = 200;

    // QUEUED and SENT are the states before a receipt settles a decision (SubmissionStatus, upper case in the table).
    private const string Counts = """
        SELECT count(*) FILTER (WHERE status = 'QUEUED')::int, count(*) FILTER (WHERE status = 'SENT')::int,
               COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8
        FROM aml_audit_decision WHERE status IN ('QUEUED', 'SENT')
        """;

    private const string Oldest = """
        SELECT decision_digest, position_id, kind, status, tx_hash, created_at
        FROM aml_audit_decision WHERE status IN ('QUEUED', 'SENT') ORDER BY created_at, decision_digest LIMIT @limit
        """;

    /// <summary>Seconds since the oldest unsettled decision was signed (0 when none): the alert's figure.</summary>
    public static async Task<double> OldestAgeSecondsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var counts = new NpgsqlCommand(Counts, connection);
        await using var reader = await counts.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.GetDouble(2);
    }

    /// <summary>Reads the backlog; INVALID_ARGUMENT for a limit out of range, FAILED_PRECONDITION without PostgreSQL.</summary>
    public static async Task<OracleBacklogResponse> ReadAsync(string? postgres, uint limit, CancellationToken cancellationToken)
    {
        if (limit > MaxLimit)
        {
            throw RpcErrors.InvalidArgument("limit", $"{limit} is above {MaxLimit}");
        }

        if (string.IsNullOrEmpty(postgres))
        {
            throw RpcErrors.FailedPrecondition("the gateway runs on in-memory storage: there is no oracle audit log to read");
        }

        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync(cancellationToken);
        var response = new OracleBacklogResponse();
        await using (var counts = new NpgsqlCommand(Counts, connection))
        await using (var reader = await counts.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            response.Queued = checked((uint)reader.GetInt32(0));
            response.Sent = checked((uint)reader.GetInt32(1));
            response.OldestAgeSeconds = reader.GetDouble(2);
        }

        await using var oldest = new NpgsqlCommand(Oldest, connection);
        oldest.Parameters.AddWithValue("limit", limit == 0 ? DefaultLimit : (int)limit);
        await using var rows = await oldest.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken))
        {
            response.Oldest.Add(new OracleBacklogEntry
            {
                DecisionDigest = Hex.Encode((byte[])rows[0]),
                PositionId = rows.GetString(1),
                Kind = rows.GetString(2),
                Status = rows.GetString(3),
                TransactionHash = rows.IsDBNull(4) ? "" : Hex.Encode((byte[])rows[4]),
                CreatedAt = rows.GetFieldValue<DateTimeOffset>(5).UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            });
        }

        return response;
    }
}
