using System.Text.Json;
using System.Text.Json.Serialization;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Oracle;
using Npgsql;
using NpgsqlTypes;
using Orleans.Storage;

namespace Aml.Orleans.Grains.Storage;

/// <summary>
/// The oracle's journal in PostgreSQL (migration 0013): a head row per oracle (version, next batch nonce), one row per
/// decision it holds, per transaction in flight or unconfirmed, per live CLOSE. A write is one batch, so one round trip
/// and one implicit transaction: the version fence first (<c>aml_oracle_journal_advance</c>, which aborts the batch when
/// another activation wrote), then multi-row inserts, updates and deletes from arrays (unnest), the audit rows of the same
/// decisions (<see cref="DecisionAuditRows"/>), and the prune. A load is one batch of four queries.
/// </summary>
public sealed class OracleJournalTable(NpgsqlDataSource dataSource) : IOracleJournalStore
{
    /// <summary>The SQLSTATE <c>aml_oracle_journal_advance</c> raises when the stored version is not the expected one.</summary>
    public const string FenceSqlState = "AMLJ1";

    // Decisions and signed CLOSEs are stored as JSON: written once, read on activation; enums by name, so a renumbered
    // enum cannot change a stored decision.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General) { Converters = { new JsonStringEnumConverter() } };

    private const string EntryColumns =
        "digest, decision, trader_signature, trace_parent, queued_at, status, signer_bitmap, tx_hash, outcome, updated_at, signed_at, queue_seq";

    private const string InsertEntries = $"""
        INSERT INTO aml_oracle_entry (oracle_key, {EntryColumns})
        SELECT @key, u.* FROM unnest(@digest, @decision, @trader_signature, @trace_parent, @queued_at, @status, @signer_bitmap, @tx_hash,
                                    @outcome, @updated_at, @signed_at, @queue_seq) AS u
        ON CONFLICT (oracle_key, digest) DO UPDATE SET decision = EXCLUDED.decision, trader_signature = EXCLUDED.trader_signature,
            trace_parent = EXCLUDED.trace_parent, queued_at = EXCLUDED.queued_at, status = EXCLUDED.status, signer_bitmap = EXCLUDED.signer_bitmap,
            tx_hash = EXCLUDED.tx_hash, outcome = EXCLUDED.outcome, updated_at = EXCLUDED.updated_at, signed_at = EXCLUDED.signed_at,
            queue_seq = EXCLUDED.queue_seq
        """;

    private const string UpdateEntries = """
        UPDATE aml_oracle_entry e SET status = u.s, signer_bitmap = u.b, tx_hash = u.t, outcome = u.o, updated_at = u.ua, signed_at = u.sa, queue_seq = u.q
        FROM unnest(@digest, @status, @signer_bitmap, @tx_hash, @outcome, @updated_at, @signed_at, @queue_seq) AS u(d, s, b, t, o, ua, sa, q)
        WHERE e.oracle_key = @key AND e.digest = u.d
        """;

    private const string TransactionColumns = "tx_hash, raw, nonce, digests, batch_nonce, sent_at, mined, block, block_hash, seq";

    // A transaction's digests travel as one '\n'-joined text each (a text[][] would have to be rectangular).
    private const string InsertTransactions = $"""
        INSERT INTO aml_oracle_transaction (oracle_key, {TransactionColumns})
        SELECT @key, u.h, u.r, u.n, string_to_array(u.d, E'\n'), u.bn, u.sa, u.m, u.b, u.bh, u.q
        FROM unnest(@hash, @raw, @nonce, @digests, @batch_nonce, @sent_at, @mined, @block, @block_hash, @seq) AS u(h, r, n, d, bn, sa, m, b, bh, q)
        ON CONFLICT (oracle_key, tx_hash) DO UPDATE SET mined = EXCLUDED.mined, block = EXCLUDED.block, block_hash = EXCLUDED.block_hash, seq = EXCLUDED.seq
        """;

    private const string MoveTransactions = """
        UPDATE aml_oracle_transaction t SET mined = u.m, block = u.b, block_hash = u.bh, seq = u.q
        FROM unnest(@hash, @mined, @block, @block_hash, @seq) AS u(h, m, b, bh, q)
        WHERE t.oracle_key = @key AND t.tx_hash = u.h
        """;

    private const string DeleteTransactions = "DELETE FROM aml_oracle_transaction WHERE oracle_key = @key AND tx_hash = ANY(@hash)";

    private const string UpsertCloses = """
        INSERT INTO aml_oracle_close (oracle_key, position_id, signed) SELECT @key, u.p, u.s FROM unnest(@position, @signed) AS u(p, s)
        ON CONFLICT (oracle_key, position_id) DO UPDATE SET signed = EXCLUDED.signed
        """;

    private const string DeleteCloses = "DELETE FROM aml_oracle_close WHERE oracle_key = @key AND position_id = ANY(@position)";

    // The same rule as OracleJournal.Prune: settled (neither queued nor sent) and last updated before the horizon.
    private const string Prune =
        "DELETE FROM aml_oracle_entry WHERE oracle_key = @key AND status NOT IN ('Queued', 'Sent') AND updated_at < @horizon";

    /// <inheritdoc />
    public async Task<OracleJournalRows?> LoadAsync(string oracleKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(oracleKey);
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Keyed("SELECT version, next_batch_nonce FROM aml_oracle_journal WHERE oracle_key = @key", oracleKey));
        batch.BatchCommands.Add(Keyed($"SELECT {EntryColumns} FROM aml_oracle_entry WHERE oracle_key = @key", oracleKey));
        batch.BatchCommands.Add(Keyed($"SELECT {TransactionColumns} FROM aml_oracle_transaction WHERE oracle_key = @key", oracleKey));
        batch.BatchCommands.Add(Keyed("SELECT position_id, signed FROM aml_oracle_close WHERE oracle_key = @key", oracleKey));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT EXISTS (SELECT 1 FROM aml_oracle_audit_outbox)"));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null; // no head row: nothing was ever written (the other tables only gain rows in a write that writes it)
        }

        var (version, nextBatchNonce) = (reader.GetInt64(0), checked((ulong)reader.GetInt64(1)));
        var entries = new List<JournalEntryRow>();
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(ReadEntry(reader));
        }

        var transactions = new List<JournalTransactionRow>();
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            transactions.Add(ReadTransaction(reader));
        }

        var closes = new List<JournalCloseRow>();
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            closes.Add(new JournalCloseRow(reader.GetString(0), Deserialize<SignedDecision>(reader.GetFieldValue<byte[]>(1))));
        }

        await reader.NextResultAsync(cancellationToken);
        var staged = await reader.ReadAsync(cancellationToken) && reader.GetBoolean(0);
        return new OracleJournalRows(version, nextBatchNonce, entries, transactions, closes, staged);
    }

    /// <inheritdoc />
    public async Task<bool> WriteAsync(string oracleKey, OracleJournalDelta delta, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(oracleKey);
        ArgumentNullException.ThrowIfNull(delta);
        await using var batch = dataSource.CreateBatch();
        var advance = Keyed("SELECT aml_oracle_journal_advance(@key, @expected, @next_batch_nonce)", oracleKey);
        advance.Parameters.Add(new NpgsqlParameter<long>("expected", NpgsqlDbType.Bigint) { TypedValue = delta.ExpectedVersion });
        advance.Parameters.Add(new NpgsqlParameter<long>("next_batch_nonce", NpgsqlDbType.Bigint) { TypedValue = checked((long)delta.NextBatchNonce) });
        batch.BatchCommands.Add(advance);
        AddEntries(batch, oracleKey, delta);
        AddTransactions(batch, oracleKey, delta);
        AddCloses(batch, oracleKey, delta);
        if (delta.PruneBefore is { } horizon)
        {
            var prune = Keyed(Prune, oracleKey);
            prune.Parameters.Add(new NpgsqlParameter<DateTime>("horizon", NpgsqlDbType.TimestampTz) { TypedValue = horizon.UtcDateTime });
            batch.BatchCommands.Add(prune);
        }

        if (delta.Audits.Count > 0)
        {
            batch.BatchCommands.Add(DecisionAuditRows.UpsertCommand(delta.Audits)); // last: its result is the one read
        }

        try
        {
            return await ExecuteAsync(batch, cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == FenceSqlState)
        {
            throw new InconsistentStateException(ex.MessageText, "", delta.ExpectedVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), ex);
        }
    }

    /// <inheritdoc />
    public async Task<bool> DrainAuditAsync(CancellationToken cancellationToken = default)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(DecisionAuditRows.UpsertCommand([]));
        return await ExecuteAsync(batch, cancellationToken);
    }

    /// <summary>Runs <paramref name="batch"/>; false when its audit statement staged its rows instead of writing them.</summary>
    private static async Task<bool> ExecuteAsync(NpgsqlBatch batch, CancellationToken cancellationToken)
    {
        var audited = true;
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        do
        {
            if (reader.FieldCount == 1 && reader.GetName(0) == DecisionAuditRows.AuditedColumn && await reader.ReadAsync(cancellationToken))
            {
                audited = reader.GetBoolean(0);
            }
        }
        while (await reader.NextResultAsync(cancellationToken));

        return audited;
    }

    private static void AddEntries(NpgsqlBatch batch, string oracleKey, OracleJournalDelta delta)
    {
        if (delta.NewEntries.Count > 0)
        {
            var rows = delta.NewEntries;
            var insert = Keyed(InsertEntries, oracleKey);
            Add(insert, "digest", NpgsqlDbType.Bytea, rows, r => Hex.Decode(r.Progress.Digest));
            Add(insert, "decision", NpgsqlDbType.Bytea, rows, r => JsonSerializer.SerializeToUtf8Bytes(r.Decision, Json));
            Add(insert, "trader_signature", NpgsqlDbType.Text, rows, r => r.TraderSignature);
            Add(insert, "trace_parent", NpgsqlDbType.Text, rows, r => r.TraceParent);
            Add(insert, "queued_at", NpgsqlDbType.TimestampTz, rows, r => r.QueuedAt.UtcDateTime);
            AddProgress(insert, [.. rows.Select(r => r.Progress)]);
            batch.BatchCommands.Add(insert);
        }

        if (delta.ChangedEntries.Count > 0)
        {
            var update = Keyed(UpdateEntries, oracleKey);
            Add(update, "digest", NpgsqlDbType.Bytea, delta.ChangedEntries, p => Hex.Decode(p.Digest));
            AddProgress(update, delta.ChangedEntries);
            batch.BatchCommands.Add(update);
        }
    }

    private static void AddProgress(NpgsqlBatchCommand command, List<JournalEntryProgress> rows)
    {
        Add(command, "status", NpgsqlDbType.Text, rows, p => p.Status.ToString());
        Add(command, "signer_bitmap", NpgsqlDbType.Text, rows, p => p.SignerBitmap);
        Add(command, "tx_hash", NpgsqlDbType.Text, rows, p => p.TransactionHash);
        Add(command, "outcome", NpgsqlDbType.Text, rows, p => p.Outcome);
        Add(command, "updated_at", NpgsqlDbType.TimestampTz, rows, p => p.UpdatedAt.UtcDateTime);
        Add(command, "signed_at", NpgsqlDbType.TimestampTz, rows, p => p.SignedAt?.UtcDateTime);
        Add(command, "queue_seq", NpgsqlDbType.Bigint, rows, p => p.QueueSeq);
    }

    private static void AddTransactions(NpgsqlBatch batch, string oracleKey, OracleJournalDelta delta)
    {
        if (delta.NewTransactions.Count > 0)
        {
            var rows = delta.NewTransactions;
            var insert = Keyed(InsertTransactions, oracleKey);
            Add(insert, "hash", NpgsqlDbType.Text, rows, t => t.Hash);
            Add(insert, "raw", NpgsqlDbType.Bytea, rows, t => Hex.Decode(t.Raw));
            Add(insert, "nonce", NpgsqlDbType.Bigint, rows, t => checked((long)t.Nonce));
            Add(insert, "digests", NpgsqlDbType.Text, rows, t => string.Join('\n', t.Digests));
            Add(insert, "batch_nonce", NpgsqlDbType.Bigint, rows, t => t.BatchNonce is { } n ? checked((long)n) : (long?)null);
            Add(insert, "sent_at", NpgsqlDbType.TimestampTz, rows, t => t.SentAt.UtcDateTime);
            AddMove(insert, [.. rows.Select(r => r.Move)], withHash: false);
            batch.BatchCommands.Add(insert);
        }

        if (delta.MovedTransactions.Count > 0)
        {
            var move = Keyed(MoveTransactions, oracleKey);
            AddMove(move, delta.MovedTransactions, withHash: true);
            batch.BatchCommands.Add(move);
        }

        if (delta.RemovedTransactions.Count > 0)
        {
            var delete = Keyed(DeleteTransactions, oracleKey);
            Add(delete, "hash", NpgsqlDbType.Text, delta.RemovedTransactions, h => h);
            batch.BatchCommands.Add(delete);
        }
    }

    private static void AddMove(NpgsqlBatchCommand command, List<JournalTransactionMove> rows, bool withHash)
    {
        if (withHash)
        {
            Add(command, "hash", NpgsqlDbType.Text, rows, m => m.Hash);
        }

        Add(command, "mined", NpgsqlDbType.Boolean, rows, m => m.Mined);
        Add(command, "block", NpgsqlDbType.Bigint, rows, m => checked((long)m.Block));
        Add(command, "block_hash", NpgsqlDbType.Text, rows, m => m.BlockHash);
        Add(command, "seq", NpgsqlDbType.Bigint, rows, m => m.Seq);
    }

    private static void AddCloses(NpgsqlBatch batch, string oracleKey, OracleJournalDelta delta)
    {
        if (delta.Closes.Count > 0)
        {
            var upsert = Keyed(UpsertCloses, oracleKey);
            Add(upsert, "position", NpgsqlDbType.Text, delta.Closes, c => c.PositionId);
            Add(upsert, "signed", NpgsqlDbType.Bytea, delta.Closes, c => JsonSerializer.SerializeToUtf8Bytes(c.Close, Json));
            batch.BatchCommands.Add(upsert);
        }

        if (delta.RemovedCloses.Count > 0)
        {
            var delete = Keyed(DeleteCloses, oracleKey);
            Add(delete, "position", NpgsqlDbType.Text, delta.RemovedCloses, id => id);
            batch.BatchCommands.Add(delete);
        }
    }

    private static JournalEntryRow ReadEntry(NpgsqlDataReader reader)
    {
        var progress = new JournalEntryProgress(
            Hex.Encode(reader.GetFieldValue<byte[]>(0)), Enum.Parse<SubmissionStatus>(reader.GetString(5)), reader.GetString(6),
            NullableString(reader, 7), NullableString(reader, 8), Utc(reader.GetDateTime(9)),
            reader.IsDBNull(10) ? null : Utc(reader.GetDateTime(10)), reader.IsDBNull(11) ? null : reader.GetInt64(11));
        return new JournalEntryRow(
            Deserialize<Decision>(reader.GetFieldValue<byte[]>(1)), NullableString(reader, 2), NullableString(reader, 3), Utc(reader.GetDateTime(4)), progress);
    }

    private static JournalTransactionRow ReadTransaction(NpgsqlDataReader reader) => new(
        reader.GetString(0), Hex.Encode(reader.GetFieldValue<byte[]>(1)), checked((ulong)reader.GetInt64(2)), reader.GetFieldValue<string[]>(3),
        reader.IsDBNull(4) ? null : checked((ulong)reader.GetInt64(4)), Utc(reader.GetDateTime(5)), reader.GetBoolean(6),
        checked((ulong)reader.GetInt64(7)), NullableString(reader, 8), reader.GetInt64(9));

    private static T Deserialize<T>(byte[] json) =>
        JsonSerializer.Deserialize<T>(json, Json) ?? throw new InvalidDataException($"a stored {typeof(T).Name} is JSON null");

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private static NpgsqlBatchCommand Keyed(string sql, string oracleKey)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string>("key", NpgsqlDbType.Text) { TypedValue = oracleKey });
        return command;
    }

    private static void Add<TRow, T>(NpgsqlBatchCommand command, string name, NpgsqlDbType type, IEnumerable<TRow> rows, Func<TRow, T> column) =>
        command.Parameters.Add(new NpgsqlParameter<T[]>(name, NpgsqlDbType.Array | type) { TypedValue = [.. rows.Select(column)] });
}
