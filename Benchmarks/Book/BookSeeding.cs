using System.Diagnostics;
using System.Security.Cryptography;
using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Storage;
using Npgsql;

namespace Aml.Orleans.Benchmarks.Book;

/// <summary>
/// The bulk path at scale on real PostgreSQL, in a database of its own (created, migrated, dropped): N rows seeded
/// into <c>aml_position_book</c> (one COPY BINARY, as <see cref="PositionBookTable.CopyInAsync"/> stores them), every shard loaded back by COPY (an activation),
/// and one shard's flush after 1 % of its rows changed (the steady-state delta, third round).
/// </summary>
internal static class BookSeeding
{
    public sealed record Result(int Rows, int Buckets, double SeedSeconds, double LoadSeconds, int LoadedRows, int DeltaRows, double DeltaFlushMs);

    public static async Task<Result> RunAsync(string server, int rows, int buckets, CancellationToken cancellationToken)
    {
        var input = BookBenchRows.Generate(rows, 2);
        var database = "aml_bench_book_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        await ExecuteAsync(server, $"CREATE DATABASE {database}", cancellationToken);
        try
        {
            var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
            await PostgresSchema.MigrateAsync(connectionString, cancellationToken);
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            var table = new PositionBookTable(dataSource);

            var seed = Stopwatch.StartNew();
            await table.CopyInAsync("ETH-USD", buckets, input, null, cancellationToken);
            var seedSeconds = seed.Elapsed.TotalSeconds;

            var load = Stopwatch.StartNew();
            var books = new Dictionary<BookShardKey, PositionBook>();
            for (var bucket = 0; bucket < buckets; bucket++)
            {
                var shard = new BookShardKey("ETH-USD", bucket);
                var book = new PositionBook();
                book.Load(await table.LoadAsync(shard, cancellationToken)); // a shard's activation
                books[shard] = book;
            }

            var loaded = books.Values.Sum(b => b.Count);
            var loadSeconds = load.Elapsed.TotalSeconds;

            // The steady state: three rounds of 1 % of one shard's rows changed and flushed; the last round counts
            // (the first pays for the statement's first use).
            var (first, firstBook) = books.First();
            var flusher = new BookFlusher(firstBook, (delta, ct) => table.WriteAsync(first, delta, ct));
            var (written, flushMs) = (0, 0.0);
            for (var round = 1; round <= 3; round++)
            {
                foreach (var row in firstBook.Rows.Where((_, i) => i % 100 == round).ToArray())
                {
                    firstBook.Upsert(row with { Version = row.Version + 1, Collateral = row.Collateral + 1 });
                }

                var flush = Stopwatch.StartNew();
                written = await flusher.FlushAsync(cancellationToken);
                flushMs = flush.Elapsed.TotalMilliseconds;
            }

            return new Result(rows, buckets, seedSeconds, loadSeconds, loaded, written, flushMs);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(server, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)", CancellationToken.None);
        }
    }

    // The database name is ours (hex only), so composing the statement is safe.
    private static async Task ExecuteAsync(string server, string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
