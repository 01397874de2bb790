using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Tests.Book;

/// <summary>Valid book rows drawn from a seeded <see cref="Random"/>: the property tests' inputs.</summary>
internal static class RandomRows
{
    public static PositionKey Key(Random random)
    {
        Span<byte> bytes = stackalloc byte[PositionKey.Length];
        random.NextBytes(bytes);
        bytes[0] |= 1; // never the zero id
        return PositionKey.FromBytes(bytes);
    }

    public static BookBand Band(Random random, long maxPriceE8) =>
        random.Next(4) == 0
            ? BookBand.None
            : new BookBand(random.Next(2) == 0 ? BandDirection.Falling : BandDirection.Rising, random.NextInt64(1, maxPriceE8));

    /// <summary>A position with terms around an entry near 1,000 USD, a pending margin now and then.</summary>
    public static BookRow Row(Random random, PositionKey key, long maxBandE8 = 2_000_00000000, long maxDueMs = 1_000_000)
    {
        var collateral = random.NextInt64(1_000_000, 100_000_000_000);
        var leverageX100 = random.Next(100, 10_001);
        var pending = random.Next(3) == 0 ? (uint)random.Next(1, 2_000) : 0u;
        return new BookRow(
            key, random.Next(2) == 0, (ushort)random.Next(0, 10_001), (uint)random.Next(100, 10_001), collateral, collateral * leverageX100 / 100, random.NextInt64(500_00000000, 1_500_00000000),
            (uint)random.Next(1, 2_000), pending, pending == 0 ? 0UL : (ulong)random.Next(0, 2_000), (ulong)random.Next(0, 50),
            Band(random, maxBandE8), Band(random, maxBandE8), random.NextInt64(0, maxDueMs));
    }
}
