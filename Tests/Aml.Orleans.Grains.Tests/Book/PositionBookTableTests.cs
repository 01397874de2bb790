using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Storage;
using Aml.Orleans.Grains.Tests.Storage;
using Npgsql;

namespace Aml.Orleans.Grains.Tests.Book;

/// <summary>The book's rows in real PostgreSQL (AML_PG_CONNECTION): flushes as deltas, reloads, seeding by COPY.</summary>
public sealed class PositionBookTableTests : IAsyncLifetime
{
    private PostgresTestDatabase _database = null!;
    private NpgsqlDataSource _dataSource = null!;
    private PositionBookTable _table = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        await PostgresSchema.MigrateAsync(_database.ConnectionString, CancellationToken.None);
        _dataSource = NpgsqlDataSource.Create(_database.ConnectionString);
        _table = new PositionBookTable(_dataSource);
    }

    public async Task DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task LoadAsync_AfterAcknowledgedUpserts_ReturnsExactlyTheBooksRows()
    {
        var random = new Random(41);
        var shard = new BookShardKey("ETH-USD", 3);
        var book = new PositionBook();
        var flusher = new BookFlusher(book, (delta, ct) => _table.WriteAsync(shard, delta, ct));
        var acknowledgements = Enumerable.Range(0, 2_000)
            .Select(_ => flusher.WhenDurableAsync(book.Upsert(RandomRows.Row(random, RandomRows.Key(random)))))
            .ToArray();

        await Task.WhenAll(acknowledgements);
        var reloaded = await _table.LoadAsync(shard, CancellationToken.None);

        Assert.Equal(book.Rows.OrderBy(r => r.Key.ToString()), reloaded.OrderBy(r => r.Key.ToString()));
        Assert.Equal(2_000, reloaded.Length);
    }

    [Fact]
    public async Task WriteAsync_DeltaAfterChanges_WritesOnlyChangedRowsAndReloadMatchesTheBook()
    {
        var random = new Random(42);
        var shard = new BookShardKey("BTC-USD", 0);
        var neighbour = new BookShardKey("BTC-USD", 1);
        var book = new PositionBook();
        var written = new List<BookDelta>();
        var flusher = new BookFlusher(book, async (delta, ct) =>
        {
            written.Add(delta);
            await _table.WriteAsync(shard, delta, ct);
        });
        var rows = Enumerable.Range(0, 1_000).Select(_ => RandomRows.Row(random, RandomRows.Key(random))).ToArray();
        foreach (var row in rows)
        {
            book.Upsert(row);
        }

        await flusher.FlushAsync();
        var other = RandomRows.Row(random, RandomRows.Key(random));
        await _table.WriteAsync(neighbour, new BookDelta([other], [], 1), CancellationToken.None);

        for (var i = 0; i < 100; i++)
        {
            book.Upsert(rows[i] with { Collateral = rows[i].Collateral + i + 1, Version = rows[i].Version + 1 });
        }

        for (var i = 100; i < 150; i++)
        {
            book.Remove(rows[i].Key, out _);
        }

        for (var i = 0; i < 25; i++)
        {
            book.Upsert(RandomRows.Row(random, RandomRows.Key(random)));
        }

        book.Remove(other.Key, out _); // not in this book: no change, and the neighbour's row stays
        var last = book.Reschedule(rows[500].Key, 123_456);
        await flusher.WhenDurableAsync(last);

        Assert.Equal(2, written.Count);
        Assert.Equal(126, written[1].Upserts.Length);
        Assert.Equal(50, written[1].Deletes.Length);
        var reloaded = await _table.LoadAsync(shard, CancellationToken.None);
        Assert.Equal(book.Rows.OrderBy(r => r.Key.ToString()), reloaded.OrderBy(r => r.Key.ToString()));
        Assert.Equal([other], await _table.LoadAsync(neighbour, CancellationToken.None));
        var fresh = new PositionBook();
        fresh.Load(reloaded);
        Assert.Equal(book.Scheduled, fresh.Scheduled);
    }

    [Fact]
    public async Task CopyInAsync_RowsOfManyBuckets_EachShardLoadsExactlyItsRows()
    {
        var random = new Random(43);
        var rows = Enumerable.Range(0, 20_000).Select(_ => RandomRows.Row(random, RandomRows.Key(random))).ToArray();

        Assert.Equal((ulong)rows.Length, await _table.CopyInAsync("SOL-USD", 8, rows, null, CancellationToken.None));

        for (var bucket = 0; bucket < 8; bucket++)
        {
            var expected = rows.Where(r => BookShardKey.BucketOf(r.Key, 8) == bucket).OrderBy(r => r.Key.ToString()).ToArray();
            var stored = await _table.LoadAsync(new BookShardKey("SOL-USD", bucket), CancellationToken.None);
            Assert.NotEmpty(expected);
            Assert.Equal(expected, stored.OrderBy(r => r.Key.ToString()));
        }
    }

    [Fact]
    public async Task LoadWithTradersAsync_SeededAndThenWritten_EachRowKeepsItsTraderUntilAWriteNamesAnother()
    {
        var random = new Random(46);
        var rows = Enumerable.Range(0, 300).Select(_ => RandomRows.Row(random, RandomRows.Key(random))).ToArray();
        var traders = rows.Select((_, i) => i % 3 == 0 ? null : $"0x{i:x40}").ToArray();
        await _table.CopyInAsync("SOL-USD", 1, rows, traders, CancellationToken.None);
        var shard = new BookShardKey("SOL-USD", 0);
        var moved = rows[1] with { NextReassessAtMs = rows[1].NextReassessAtMs + 1 };
        var renamed = rows[2] with { Version = rows[2].Version + 1 };

        // A write that names no trader (a re-arm by a shard that never saw it) keeps the stored one; one that does replaces it.
        await _table.WriteAsync(shard, new BookDelta([moved], [], 1), CancellationToken.None);
        await _table.WriteAsync(shard, new BookDelta([renamed], [], 2), k => k == renamed.Key ? "0xabc" : null, CancellationToken.None);
        var (stored, storedTraders) = await _table.LoadWithTradersAsync(shard, CancellationToken.None);

        var expected = traders.ToArray();
        expected[2] = "0xabc";
        var byKey = stored.Zip(storedTraders).ToDictionary(p => p.First.Key, p => p.Second);
        Assert.Equal(rows.Length, byKey.Count);
        Assert.Equal(expected, rows.Select(r => byKey[r.Key]));
        Assert.Equal(moved, stored.Single(r => r.Key == moved.Key));
    }

    [Fact]
    public async Task CopyInAsync_BlankTrader_ThrowsAndStoresNothing()
    {
        var random = new Random(47);
        var rows = Enumerable.Range(0, 10).Select(_ => RandomRows.Row(random, RandomRows.Key(random))).ToArray();
        var traders = rows.Select(_ => (string?)"0x01").ToArray();
        traders[6] = " ";

        await Assert.ThrowsAsync<ArgumentException>(() => _table.CopyInAsync("SOL-USD", 4, rows, traders, CancellationToken.None));

        Assert.Equal(0L, await _database.ScalarAsync<long>($"SELECT count(*) FROM {PositionBookTable.Table}"));
    }

    [Fact]
    public async Task CopyInAsync_IdAlreadyStored_FailsAndStoresNothingMore()
    {
        var random = new Random(44);
        var first = Enumerable.Range(0, 100).Select(_ => RandomRows.Row(random, RandomRows.Key(random))).ToArray();
        await _table.CopyInAsync("SOL-USD", 4, first, null, CancellationToken.None);
        var again = Enumerable.Range(0, 100).Select(_ => RandomRows.Row(random, RandomRows.Key(random))).Append(first[7]).ToArray();

        await Assert.ThrowsAsync<PostgresException>(() => _table.CopyInAsync("SOL-USD", 4, again, null, CancellationToken.None));

        Assert.Equal(100L, await _database.ScalarAsync<long>($"SELECT count(*) FROM {PositionBookTable.Table}"));
    }

    [Fact]
    public async Task CopyInAsync_InvalidRow_ThrowsAndStoresNothing()
    {
        var random = new Random(45);
        var rows = Enumerable.Range(0, 10).Select(_ => RandomRows.Row(random, RandomRows.Key(random))).ToArray();
        rows[5] = rows[5] with { EntryPriceE8 = 0 };

        await Assert.ThrowsAsync<ArgumentException>(() => _table.CopyInAsync("SOL-USD", 4, rows, null, CancellationToken.None));

        Assert.Equal(0L, await _database.ScalarAsync<long>($"SELECT count(*) FROM {PositionBookTable.Table}"));
    }
}
