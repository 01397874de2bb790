using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Aml.Orleans.Grains.Oracle;
using Aml.Orleans.Grains.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Aml.Orleans.Benchmarks.Oracle;

/// <summary>
/// <c>Aml.Orleans.Benchmarks journal --pg CONNECTION [--entries 10000] [--runs 5]</c>: the oracle's three writes of a
/// cascade of <c>--entries</c> liquidations (the intake group; the send round that signs them all into batches of 50;
/// a settle round of 20 receipts), each written as the previous version did (the whole state as one grain-state blob,
/// through the provider's own query, plus the audit upsert after it, where that version made it) and as the journal does (the changed rows and their
/// audit rows in one batch), on the same PostgreSQL in the same run. Reports per write the bytes PostgreSQL wrote to its
/// WAL and the median time over <c>--runs</c> fresh oracles. Migrates the database first.
/// </summary>
internal static class JournalVerb
{
    private const string Usage = "usage: Aml.Orleans.Benchmarks journal --pg CONNECTION [--entries 10000] [--runs 5]";
    private const int BatchSize = 50;
    private const int CalldataPerDecision = 544; // one Decision tuple of applyDecisions: 17 words

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Count; i += 2)
        {
            values[args[i]] = args[i + 1];
        }

        if (!values.TryGetValue("--pg", out var connection) || !int.TryParse(values.GetValueOrDefault("--entries", "10000"), out var entries) ||
            !int.TryParse(values.GetValueOrDefault("--runs", "5"), out var runs) || entries < BatchSize * 20 || runs < 1)
        {
            await Console.Error.WriteLineAsync($"--pg is required, --entries at least {BatchSize * 20}, --runs at least 1. {Usage}");
            return 2;
        }

        connection = PostgresSiloBuilderExtensions.NormalizeConnectionString(connection);
        await PostgresSchema.MigrateAsync(connection, CancellationToken.None); // nothing to do on the load stack's database
        await using var dataSource = NpgsqlDataSource.Create(connection);
        var writeQuery = (string)(await Scalar(dataSource, "SELECT querytext FROM orleansquery WHERE querykey = 'WriteToStorageKey'"))!;
        var results = new List<Measured>();
        for (var run = 0; run < runs; run++)
        {
            var cascade = await CascadeStates.BuildAsync(entries, BatchSize, CalldataPerDecision);
            var key = $"bench-journal-{Guid.NewGuid():N}";
            results.AddRange(await MeasureBlobAsync(dataSource, writeQuery, key, cascade));
            results.AddRange(await MeasureJournalAsync(dataSource, key, cascade));
        }

        Console.WriteLine($"Oracle writes of a cascade of {entries:N0} (median of {runs} runs; WAL = bytes PostgreSQL logged for the write)");
        Console.WriteLine();
        Console.WriteLine("| write | blob: payload | blob: WAL | blob: ms | journal: rows | journal: WAL | journal: ms | WAL ratio | time ratio |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var step in CascadeStates.Steps)
        {
            var blob = Median(results.Where(r => r.Step == step && r.Blob));
            var journal = Median(results.Where(r => r.Step == step && !r.Blob));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {step} | {blob.Payload / 1024.0:N0} KiB | {blob.Wal / 1024.0:N0} KiB | {blob.Ms:N1} | {journal.Payload:N0} | {journal.Wal / 1024.0:N0} KiB | {journal.Ms:N1} | {(double)journal.Wal / blob.Wal:N3} | {journal.Ms / blob.Ms:N3} |"));
        }

        return 0;
    }

    /// <summary>The previous version: the whole state serialized and written by the provider's query, then the audit upsert.</summary>
    private static async Task<List<Measured>> MeasureBlobAsync(NpgsqlDataSource dataSource, string writeQuery, string key, CascadeStates cascade)
    {
        var measured = new List<Measured>();
        int? version = null;
        foreach (var (step, state, changed) in cascade.Writes())
        {
            byte[] payload = [];
            // The previous version staged the intake's audit rows in the blob and upserted them after the send write of the
            // same turn, merged by digest with the sent ones: one audit upsert for both.
            var audits = step == CascadeStates.Steps[0] ? [] : changed.Select(e => e.ToAudit()).ToList();
            var (wal, ms) = await WalAndTimeAsync(dataSource, async () =>
            {
                await using var write = dataSource.CreateCommand(writeQuery);
                write.Parameters.AddWithValue("GrainIdHash", key.GetHashCode(StringComparison.Ordinal));
                write.Parameters.AddWithValue("GrainIdN0", 0L);
                write.Parameters.AddWithValue("GrainIdN1", 0L);
                write.Parameters.AddWithValue("GrainTypeHash", 7);
                write.Parameters.AddWithValue("GrainTypeString", "oracle");
                write.Parameters.AddWithValue("GrainIdExtensionString", key);
                write.Parameters.AddWithValue("ServiceId", "bench");
                write.Parameters.Add(new NpgsqlParameter("GrainStateVersion", NpgsqlDbType.Integer) { Value = (object?)version ?? DBNull.Value });
                payload = JsonSerializer.SerializeToUtf8Bytes(state); // as the grain-state serializer did, on the grain's turn
                write.Parameters.AddWithValue("PayloadBinary", payload);
                version = Convert.ToInt32(await write.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
                if (audits.Count > 0)
                {
                    await using var audit = dataSource.CreateBatch();
                    audit.BatchCommands.Add(DecisionAuditRows.UpsertCommand(audits));
                    await audit.ExecuteNonQueryAsync();
                }
            });
            measured.Add(new Measured(step, Blob: true, payload.Length, wal, ms));
        }

        return measured;
    }

    /// <summary>The journal: the delta of each write, audit rows included, in one batch.</summary>
    private static async Task<List<Measured>> MeasureJournalAsync(NpgsqlDataSource dataSource, string key, CascadeStates cascade)
    {
        var measured = new List<Measured>();
        var table = new OracleJournalTable(dataSource);
        var journal = new OracleJournal();
        foreach (var (step, state, changed) in cascade.Writes())
        {
            OracleJournalDelta? delta = null;
            var (wal, ms) = await WalAndTimeAsync(dataSource, async () =>
            {
                changed.ForEach(journal.Changed);
                delta = journal.Delta(state)!; // computed on the grain's turn, so it is timed
                await table.WriteAsync(key, delta);
                journal.Written(delta);
            });
            measured.Add(new Measured(step, Blob: false, delta!.RowCount, wal, ms));
        }

        return measured;
    }

    private static async Task<(long Wal, double Ms)> WalAndTimeAsync(NpgsqlDataSource dataSource, Func<Task> write)
    {
        var before = (string)(await Scalar(dataSource, "SELECT pg_current_wal_insert_lsn()::text"))!;
        var clock = Stopwatch.StartNew();
        await write();
        var ms = clock.Elapsed.TotalMilliseconds;
        var wal = Convert.ToInt64(await Scalar(dataSource, $"SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '{before}')::bigint"), CultureInfo.InvariantCulture);
        return (wal, ms);
    }

    private static async Task<object?> Scalar(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }

    private static Measured Median(IEnumerable<Measured> runs)
    {
        var all = runs.ToList();
        double Mid(IEnumerable<double> xs) => xs.Order().ElementAt(all.Count / 2);
        return new Measured(all[0].Step, all[0].Blob, (long)Mid(all.Select(r => (double)r.Payload)), (long)Mid(all.Select(r => (double)r.Wal)), Mid(all.Select(r => r.Ms)));
    }

    private sealed record Measured(string Step, bool Blob, long Payload, long Wal, double Ms);
}
