using System.Diagnostics;
using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Domain;

namespace Aml.Orleans.Benchmarks.Book;

/// <summary>
/// What a book of N rows costs in memory, beside today's <see cref="PriceBandLadder"/> holding the same positions'
/// bands (string ids, two bands each), in the same process: managed heap growth (<see cref="GC.GetTotalMemory"/>
/// after a full collection), bytes allocated while building, resident-set growth, and the time of a full blocking
/// collection with the structure alive (what the GC has to trace).
/// </summary>
internal static class BookCensus
{
    public sealed record Line(string Structure, int Rows, double HeapBytesPerRow, double AllocatedBytesPerRow, double RssBytesPerRow, double FullGcMs);

    /// <summary>The structures measured, by name.</summary>
    public static readonly IReadOnlyList<string> Structures = ["PositionBook (upserts, grown)", "PositionBook (loaded, exact)", "PriceBandLadder (today)"];

    /// <summary>
    /// Measures structure number <paramref name="structure"/> of <see cref="Structures"/> with <paramref name="rows"/>
    /// positions. Run one per process: a structure built earlier in the process leaves pages the next one reuses, which
    /// hides its resident-set growth.
    /// </summary>
    public static Line Measure(int structure, int rows)
    {
        var input = BookBenchRows.Generate(rows, 1);
        Func<object> build = structure switch
        {
            0 => () =>
            {
                var book = new PositionBook();
                foreach (var row in input)
                {
                    book.Upsert(row);
                }

                return book;
            },
            1 => () =>
            {
                var book = new PositionBook(rows);
                book.Load(input);
                return book;
            },
            _ => () =>
            {
                var ladder = new PriceBandLadder();
                foreach (var row in input)
                {
                    ladder.Set(row.Key.ToString(), [(row.Liquidation.Direction, row.Liquidation.PriceE8), (row.Warning.Direction, row.Warning.PriceE8)]);
                }

                return ladder;
            },
        };
        var line = Census(Structures[structure], rows, build);
        GC.KeepAlive(input);
        return line;
    }

    private static Line Census(string name, int rows, Func<object> build)
    {
        Collect();
        var heap = GC.GetTotalMemory(true);
        var rss = ResidentBytes();
        var allocated = GC.GetTotalAllocatedBytes(true);
        var structure = build();
        var allocatedAfter = GC.GetTotalAllocatedBytes(true);
        Collect();
        var heapAfter = GC.GetTotalMemory(true);
        var rssAfter = ResidentBytes();
        var gc = Stopwatch.StartNew();
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
        }

        var gcMs = gc.Elapsed.TotalMilliseconds / 3;
        GC.KeepAlive(structure);
        return new Line(name, rows, (double)(heapAfter - heap) / rows, (double)(allocatedAfter - allocated) / rows,
            (double)(rssAfter - rss) / rows, gcMs);
    }

    private static void Collect()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    // The resident set from /proc (Process.WorkingSet64 reads the same, but caches until Refresh).
    private static long ResidentBytes()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
