using System.Globalization;
using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Interfaces;
using Npgsql;
using NpgsqlTypes;

namespace Aml.Orleans.Grains.Storage;

/// <summary>
/// The table <c>aml_position_book</c> (migrations 0006 and 0007): one row per position per book shard, with the
/// trader that holds it. A shard loads its rows in
/// one COPY on activation and writes a <see cref="BookDelta"/> per flush as one batch (an upsert of the changed rows
/// from arrays and a delete of the removed ids, in one round trip and one implicit transaction); the seeder COPYs rows
/// in BINARY.
/// </summary>
public sealed class PositionBookTable(NpgsqlDataSource dataSource)
{
    /// <summary>The table's name.</summary>
    public const string Table = "aml_position_book";

    /// <summary>The longest trader id the table stores (migration 0007).</summary>
    public const int MaxTraderLength = 100;

    // The row's columns after (market, bucket), in the order every statement here reads and writes them.
    private const string RowColumns =
        "position_id, is_long, risk_score_bps, max_leverage_x100, collateral, size, entry_price_e8, maintenance_margin_bps, pending_margin_bps, " +
        "pending_margin_from, version, liquidation_direction, liquidation_band_e8, warning_direction, warning_band_e8, " +
        "next_reassess_at_ms, trader";

    private const string UpsertSql =
        $"INSERT INTO {Table} (market, bucket, {RowColumns}) " +
        "SELECT @market, @bucket, u.* FROM unnest(@position_id, @is_long, @risk_score_bps, @max_leverage_x100, @collateral, @size, @entry_price_e8, " +
        "@maintenance_margin_bps, @pending_margin_bps, @pending_margin_from, @version, @liquidation_direction, " +
        "@liquidation_band_e8, @warning_direction, @warning_band_e8, @next_reassess_at_ms, @trader) AS u " +
        "ON CONFLICT (market, bucket, position_id) DO UPDATE SET is_long = EXCLUDED.is_long, " +
        "risk_score_bps = EXCLUDED.risk_score_bps, max_leverage_x100 = EXCLUDED.max_leverage_x100, collateral = EXCLUDED.collateral, " +
        "size = EXCLUDED.size, entry_price_e8 = EXCLUDED.entry_price_e8, maintenance_margin_bps = EXCLUDED.maintenance_margin_bps, " +
        "pending_margin_bps = EXCLUDED.pending_margin_bps, pending_margin_from = EXCLUDED.pending_margin_from, " +
        "version = EXCLUDED.version, liquidation_direction = EXCLUDED.liquidation_direction, " +
        "liquidation_band_e8 = EXCLUDED.liquidation_band_e8, warning_direction = EXCLUDED.warning_direction, " +
        "warning_band_e8 = EXCLUDED.warning_band_e8, next_reassess_at_ms = EXCLUDED.next_reassess_at_ms, " +
        // A write that does not know the trader (a re-arm or reschedule by a shard that never saw it) keeps the stored one.
        $"trader = COALESCE(EXCLUDED.trader, {Table}.trader)";

    private const string DeleteSql =
        $"DELETE FROM {Table} WHERE market = @market AND bucket = @bucket AND position_id = ANY(@deleted)";

    /// <summary>Every row of <paramref name="shard"/>, in one COPY.</summary>
    public async Task<BookRow[]> LoadAsync(BookShardKey shard, CancellationToken cancellationToken) =>
        (await LoadWithTradersAsync(shard, cancellationToken)).Rows;

    /// <summary>
    /// Every row of <paramref name="shard"/> and the trader of each (null for a row stored before migration 0007), in
    /// one COPY.
    /// </summary>
    public async Task<StoredShard> LoadWithTradersAsync(BookShardKey shard, CancellationToken cancellationToken)
    {
        var rows = new List<BookRow>();
        var traders = new List<string?>();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // COPY takes no parameters; the shard key's market is an AssetSymbol (letters, digits, one '-') and its
        // bucket an int, so they are safe as literals.
        await using var reader = await connection.BeginBinaryExportAsync(
            $"COPY (SELECT {RowColumns} FROM {Table} WHERE market = '{Checked(shard).Market}' AND " +
            $"bucket = {shard.Bucket.ToString(CultureInfo.InvariantCulture)}) TO STDOUT (FORMAT BINARY)", cancellationToken);
        while (await reader.StartRowAsync(cancellationToken) != -1)
        {
            rows.Add(await ReadRowAsync(reader, cancellationToken));
            traders.Add(reader.IsNull ? null : await reader.ReadAsync<string>(NpgsqlDbType.Text, cancellationToken));
        }

        return new StoredShard([.. rows], [.. traders]);
    }

    /// <summary>
    /// Writes <paramref name="delta"/> of <paramref name="shard"/>: one round trip, all of it or nothing. Upserted rows
    /// keep the trader already stored.
    /// </summary>
    public Task WriteAsync(BookShardKey shard, BookDelta delta, CancellationToken cancellationToken) =>
        WriteAsync(shard, delta, static _ => null, cancellationToken);

    /// <summary>
    /// Writes <paramref name="delta"/> of <paramref name="shard"/>: one round trip, all of it or nothing. Each upserted
    /// row stores the trader <paramref name="traderOf"/> names, or keeps the stored one where it names none.
    /// </summary>
    public async Task WriteAsync(BookShardKey shard, BookDelta delta, Func<PositionKey, string?> traderOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delta);
        ArgumentNullException.ThrowIfNull(traderOf);
        Checked(shard);
        if (delta.IsEmpty)
        {
            return;
        }

        await using var batch = dataSource.CreateBatch();
        if (delta.Upserts.Length > 0)
        {
            var upsert = new NpgsqlBatchCommand(UpsertSql);
            AddShard(upsert, shard);
            AddColumns(upsert, delta.Upserts, traderOf);
            batch.BatchCommands.Add(upsert);
        }

        if (delta.Deletes.Length > 0)
        {
            var delete = new NpgsqlBatchCommand(DeleteSql);
            AddShard(delete, shard);
            delete.Parameters.Add(new NpgsqlParameter<byte[][]>("deleted", NpgsqlDbType.Array | NpgsqlDbType.Bytea)
            {
                TypedValue = [.. delta.Deletes.Select(k => k.ToArray())],
            });
            batch.BatchCommands.Add(delete);
        }

        // A batch without an explicit transaction runs as one implicit transaction: a failure applies none of it.
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Appends <paramref name="rows"/> of <paramref name="market"/> (each in the shard its id hashes to among
    /// <paramref name="bucketCount"/>, with the trader at the same index of <paramref name="traders"/>, or none when it
    /// is null) in one COPY BINARY;
    /// the table must not have any of them yet (a repeated id fails the whole COPY, which then stores nothing).
    /// </summary>
    /// <returns>The rows written.</returns>
    public async Task<ulong> CopyInAsync(
        string market, int bucketCount, IReadOnlyList<BookRow> rows, IReadOnlyList<string?>? traders, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (traders is not null && traders.Count != rows.Count)
        {
            throw new ArgumentException($"{traders.Count} traders for {rows.Count} rows", nameof(traders));
        }

        market = AssetSymbol.Parse(market).Value;
        var id = new byte[PositionKey.Length];
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var writer = await connection.BeginBinaryImportAsync(
            $"COPY {Table} (market, bucket, {RowColumns}) FROM STDIN (FORMAT BINARY)", cancellationToken);
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            row.Validate();
            await writer.StartRowAsync(cancellationToken);
            await writer.WriteAsync(market, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync((short)BookShardKey.BucketOf(row.Key, bucketCount), NpgsqlDbType.Smallint, cancellationToken);
            row.Key.WriteTo(id); // copied into the importer's buffer at once, so one array serves every row
            await writer.WriteAsync(id, NpgsqlDbType.Bytea, cancellationToken);
            await writer.WriteAsync(row.IsLong, NpgsqlDbType.Boolean, cancellationToken);
            await writer.WriteAsync((short)row.RiskScoreBps, NpgsqlDbType.Smallint, cancellationToken);
            await writer.WriteAsync((int)row.MaxLeverageX100, NpgsqlDbType.Integer, cancellationToken);
            await writer.WriteAsync(row.Collateral, NpgsqlDbType.Bigint, cancellationToken);
            await writer.WriteAsync(row.Size, NpgsqlDbType.Bigint, cancellationToken);
            await writer.WriteAsync(row.EntryPriceE8, NpgsqlDbType.Bigint, cancellationToken);
            await writer.WriteAsync((int)row.MaintenanceMarginBps, NpgsqlDbType.Integer, cancellationToken);
            await writer.WriteAsync((int)row.PendingMarginBps, NpgsqlDbType.Integer, cancellationToken);
            await writer.WriteAsync((long)row.PendingMarginFrom, NpgsqlDbType.Bigint, cancellationToken);
            await writer.WriteAsync((long)row.Version, NpgsqlDbType.Bigint, cancellationToken);
            await writer.WriteAsync((short)row.Liquidation.Direction, NpgsqlDbType.Smallint, cancellationToken);
            await writer.WriteAsync(row.Liquidation.PriceE8, NpgsqlDbType.Bigint, cancellationToken);
            await writer.WriteAsync((short)row.Warning.Direction, NpgsqlDbType.Smallint, cancellationToken);
            await writer.WriteAsync(row.Warning.PriceE8, NpgsqlDbType.Bigint, cancellationToken);
            await writer.WriteAsync(row.NextReassessAtMs, NpgsqlDbType.Bigint, cancellationToken);
            if (CheckedTrader(traders?[i]) is { } trader)
            {
                await writer.WriteAsync(trader, NpgsqlDbType.Text, cancellationToken);
            }
            else
            {
                await writer.WriteNullAsync(cancellationToken);
            }
        }

        return await writer.CompleteAsync(cancellationToken);
    }

    private static async Task<BookRow> ReadRowAsync(NpgsqlBinaryExporter reader, CancellationToken ct) => new(
        PositionKey.FromBytes(await reader.ReadAsync<byte[]>(NpgsqlDbType.Bytea, ct)),
        await reader.ReadAsync<bool>(NpgsqlDbType.Boolean, ct),
        (ushort)await reader.ReadAsync<short>(NpgsqlDbType.Smallint, ct),
        (uint)await reader.ReadAsync<int>(NpgsqlDbType.Integer, ct),
        await reader.ReadAsync<long>(NpgsqlDbType.Bigint, ct),
        await reader.ReadAsync<long>(NpgsqlDbType.Bigint, ct),
        await reader.ReadAsync<long>(NpgsqlDbType.Bigint, ct),
        (uint)await reader.ReadAsync<int>(NpgsqlDbType.Integer, ct),
        (uint)await reader.ReadAsync<int>(NpgsqlDbType.Integer, ct),
        (ulong)await reader.ReadAsync<long>(NpgsqlDbType.Bigint, ct),
        (ulong)await reader.ReadAsync<long>(NpgsqlDbType.Bigint, ct),
        new BookBand((BandDirection)await reader.ReadAsync<short>(NpgsqlDbType.Smallint, ct), await reader.ReadAsync<long>(NpgsqlDbType.Bigint, ct)),
        new BookBand((BandDirection)await reader.ReadAsync<short>(NpgsqlDbType.Smallint, ct), await reader.ReadAsync<long>(NpgsqlDbType.Bigint, ct)),
        await reader.ReadAsync<long>(NpgsqlDbType.Bigint, ct));

    private static void AddShard(NpgsqlBatchCommand command, BookShardKey shard)
    {
        command.Parameters.Add(new NpgsqlParameter<string>("market", NpgsqlDbType.Text) { TypedValue = shard.Market });
        command.Parameters.Add(new NpgsqlParameter<short>("bucket", NpgsqlDbType.Smallint) { TypedValue = (short)shard.Bucket });
    }

    private static void AddColumns(NpgsqlBatchCommand command, BookRow[] rows, Func<PositionKey, string?> traderOf)
    {
        Add(command, "position_id", NpgsqlDbType.Bytea, rows, r => r.Key.ToArray());
        Add(command, "is_long", NpgsqlDbType.Boolean, rows, r => r.IsLong);
        Add(command, "risk_score_bps", NpgsqlDbType.Smallint, rows, r => (short)r.RiskScoreBps);
        Add(command, "max_leverage_x100", NpgsqlDbType.Integer, rows, r => (int)r.MaxLeverageX100);
        Add(command, "collateral", NpgsqlDbType.Bigint, rows, r => r.Collateral);
        Add(command, "size", NpgsqlDbType.Bigint, rows, r => r.Size);
        Add(command, "entry_price_e8", NpgsqlDbType.Bigint, rows, r => r.EntryPriceE8);
        Add(command, "maintenance_margin_bps", NpgsqlDbType.Integer, rows, r => (int)r.MaintenanceMarginBps);
        Add(command, "pending_margin_bps", NpgsqlDbType.Integer, rows, r => (int)r.PendingMarginBps);
        Add(command, "pending_margin_from", NpgsqlDbType.Bigint, rows, r => (long)r.PendingMarginFrom);
        Add(command, "version", NpgsqlDbType.Bigint, rows, r => (long)r.Version);
        Add(command, "liquidation_direction", NpgsqlDbType.Smallint, rows, r => (short)r.Liquidation.Direction);
        Add(command, "liquidation_band_e8", NpgsqlDbType.Bigint, rows, r => r.Liquidation.PriceE8);
        Add(command, "warning_direction", NpgsqlDbType.Smallint, rows, r => (short)r.Warning.Direction);
        Add(command, "warning_band_e8", NpgsqlDbType.Bigint, rows, r => r.Warning.PriceE8);
        Add(command, "next_reassess_at_ms", NpgsqlDbType.Bigint, rows, r => r.NextReassessAtMs);
        Add(command, "trader", NpgsqlDbType.Text, rows, r => CheckedTrader(traderOf(r.Key)));
    }

    /// <summary>A trader id as the column takes it (migration 0007's check), or an <see cref="ArgumentException"/>.</summary>
    private static string? CheckedTrader(string? trader) =>
        trader is null || (trader.Length is >= 1 and <= MaxTraderLength && !string.IsNullOrWhiteSpace(trader)) ? trader :
        throw new ArgumentException($"trader id '{trader}' is blank or longer than {MaxTraderLength} characters", nameof(trader));

    private static void Add<T>(NpgsqlBatchCommand command, string name, NpgsqlDbType type, BookRow[] rows, Func<BookRow, T> column) =>
        command.Parameters.Add(new NpgsqlParameter<T[]>(name, NpgsqlDbType.Array | type) { TypedValue = [.. rows.Select(column)] });

    private static BookShardKey Checked(BookShardKey shard) =>
        shard.Market is null ? throw new ArgumentException("the shard key is empty (default)", nameof(shard)) : shard;
}

/// <summary>A shard's stored rows and, at the same index, the trader of each (null where none was stored).</summary>
public sealed record StoredShard(BookRow[] Rows, string?[] Traders);
