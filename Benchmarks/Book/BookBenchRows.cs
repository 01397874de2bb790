using Aml.Orleans.Grains.Book;

namespace Aml.Orleans.Benchmarks.Book;

/// <summary>
/// The rows every book measurement uses: random bytes32 ids, longs and shorts at 2–50x around an entry of 2,000 USD,
/// margins of 0.5–5 %, bands set at that mark as a position sets them, reassessments spread over one interval.
/// </summary>
internal static class BookBenchRows
{
    /// <summary>The mark every row's bands are set at (E8).</summary>
    public const long MarkE8 = 2_000_00000000;

    /// <summary>The reassessment interval the due times are spread over (ms).</summary>
    public const long IntervalMs = 300_000;

    public static BookRow[] Generate(int count, int seed)
    {
        var random = new Random(seed);
        var rows = new BookRow[count];
        Span<byte> id = stackalloc byte[PositionKey.Length];
        for (var i = 0; i < count; i++)
        {
            random.NextBytes(id);
            id[0] |= 1;
            var collateral = random.NextInt64(1_000_000, 10_000_000_000);
            rows[i] = PositionBands.At(
                new BookRow(PositionKey.FromBytes(id), random.Next(2) == 0, 1_000, 5_000, collateral, collateral * random.Next(200, 5_000) / 100, MarkE8,
                    (uint)random.Next(50, 500), 0, 0, 1, BookBand.None, BookBand.None, 1 + random.NextInt64(IntervalMs)),
                MarkE8, 15_000, 0);
        }

        return rows;
    }
}
