using Npgsql;

namespace Aml.Orleans.Benchmarks.Load;

/// <summary>
/// The oracle's audit of a cascade's LIQUIDATEs, read from its table (<c>aml_audit_decision</c>) in a few aggregate
/// queries: polling ten thousand digests one grain call at a time would load the oracle the harness measures.
/// </summary>
internal sealed class CascadeAudit(NpgsqlDataSource database, IReadOnlyList<string> positionIds)
{
    /// <summary>
    /// How many are in a signed transaction that was sent (SENT, or past it), applied on-chain (APPLIED), and refused by
    /// the oracle or skipped by the contract (FAILED, SKIPPED).
    /// </summary>
    public sealed record Counts(int Signed, int Landed, int Refused);

    private const string Filter = "kind = 'LIQUIDATE' AND position_id = ANY(@ids)";

    private readonly string[] _ids = [.. positionIds];

    public async Task<Counts> CountAsync()
    {
        var byStatus = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var command = Command($"SELECT status, count(*)::int FROM aml_audit_decision WHERE {Filter} GROUP BY status");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            byStatus[reader.GetString(0)] = reader.GetInt32(1);
        }

        int Of(string status) => byStatus.GetValueOrDefault(status);
        return new Counts(Of("SENT") + Of("APPLIED") + Of("SKIPPED"), Of("APPLIED"), Of("FAILED") + Of("SKIPPED"));
    }

    /// <summary>When the last of them was signed into a transaction, by the oracle's clock (its audit row's signing stamp).</summary>
    public async Task<DateTimeOffset?> LastSignedAtAsync()
    {
        await using var command = Command($"SELECT max(signed_at) FROM aml_audit_decision WHERE {Filter}");
        return await command.ExecuteScalarAsync() is DateTime at ? new DateTimeOffset(at, TimeSpan.Zero) : null;
    }

    /// <summary>When the last of them was applied, by the oracle's clock (its audit row's last update).</summary>
    public async Task<DateTimeOffset> LastLandedAtAsync()
    {
        await using var command = Command($"SELECT max(updated_at) FROM aml_audit_decision WHERE {Filter} AND status = 'APPLIED'");
        return new DateTimeOffset((DateTime)(await command.ExecuteScalarAsync())!, TimeSpan.Zero);
    }

    /// <summary>How the applied ones landed: in how many transactions and blocks (and most transactions in one), and when the first and last receipt were settled.</summary>
    public sealed record Landing(int Transactions, int Blocks, int MostPerBlock, DateTimeOffset FirstSettled, DateTimeOffset LastSettled);

    /// <summary>The landing of the applied ones, from their rows' transaction, outcome ("… in block N") and last update.</summary>
    public async Task<Landing?> LandingAsync()
    {
        await using var command = Command($"""
            WITH tx AS (SELECT tx_hash, substring(outcome from 'in block ([0-9]+)') AS block, max(updated_at) AS settled
                        FROM aml_audit_decision WHERE {Filter} AND status = 'APPLIED' GROUP BY tx_hash, block)
            SELECT count(*)::int, count(DISTINCT block)::int, (SELECT max(n) FROM (SELECT count(*)::int AS n FROM tx GROUP BY block) b),
                   min(settled), max(settled)
            FROM tx
            """);
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync() || reader.GetInt32(0) == 0)
        {
            return null;
        }

        return new Landing(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2),
            new DateTimeOffset(reader.GetDateTime(3), TimeSpan.Zero), new DateTimeOffset(reader.GetDateTime(4), TimeSpan.Zero));
    }

    /// <summary>Decisions per transaction, for every transaction that carried one of them.</summary>
    public async Task<IReadOnlyList<int>> BatchSizesAsync()
    {
        var sizes = new List<int>();
        await using var command = Command($"SELECT count(*)::int FROM aml_audit_decision WHERE {Filter} AND tx_hash IS NOT NULL GROUP BY tx_hash");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            sizes.Add(reader.GetInt32(0));
        }

        return sizes;
    }

    private NpgsqlCommand Command(string sql)
    {
        var command = database.CreateCommand(sql);
        command.Parameters.AddWithValue("ids", _ids);
        return command;
    }
}
