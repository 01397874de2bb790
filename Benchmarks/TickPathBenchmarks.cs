using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using BenchmarkDotNet.Attributes;

namespace Aml.Orleans.Benchmarks;

/// <summary>
/// A market's per-tick work with N open positions, as ratios to the physical floor (a plain scan of an array of
/// liquidation prices) in the same run: the engine's band ladder (finds only the crossed positions, O(log n + k)),
/// the position book that replaces it (the same crossings from compact rows in index heaps, see Grains/Book),
/// and the naive fan-out (every position evaluates itself each tick). Each tick moves the price back and
/// forth between 70 % and 70.5 % of entry, crossing about one band in a thousand both ways; each woken position
/// registers its band on the other side, as the engine's positions do. Domain level: the grain messaging a real
/// fan-out would add on top of its per-position evaluation is not counted (it only gets worse).
/// <c>./aml bench</c> runs it.
/// </summary>
[MemoryDiagnoser]
public class TickPathBenchmarks
{
    private const long EntryE8 = 20_000_00000000;
    private PositionTerms[] _terms = [];
    private long[] _liquidationPrices = [];
    private string[] _ids = [];
    private PriceBandLadder _ladder = null!;
    private PositionBook _book = null!;
    private readonly List<PositionKey> _taken = [];
    private long _tick;

    /// <summary>Open positions on the market.</summary>
    [Params(10_000, 100_000, 1_000_000)]
    public int Positions { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _terms = new PositionTerms[Positions];
        _liquidationPrices = new long[Positions];
        _ids = new string[Positions];
        _ladder = new PriceBandLadder();
        _book = new PositionBook();
        for (var i = 0; i < Positions; i++)
        {
            var leverageX100 = random.Next(200, 5_000);
            var collateral = 1_000_000_000L;
            _terms[i] = new PositionTerms(true, collateral, collateral * leverageX100 / 100, EntryE8, 100);
            _liquidationPrices[i] = MarginMath.LiquidationPrice(_terms[i]);
            _ids[i] = "0x" + i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture);
            _ladder.Set(_ids[i], [Band(_liquidationPrices[i], StartE8)]);
            var (direction, price) = Band(_liquidationPrices[i], StartE8);
            // The book refuses the zero id, so its keys count from 1.
            _book.Upsert(new BookRow(PositionKey.Parse("0x" + (i + 1).ToString("x64", System.Globalization.CultureInfo.InvariantCulture)), true, 1_000, 5_000, collateral, _terms[i].Size, EntryE8, 100, 0, 0, 0,
                new BookBand(direction, price), BookBand.None, BookRow.NotScheduled));
        }
    }

    // Between 70.0 % and 70.5 % of entry: about one position in a thousand has its band there, so k grows with n.
    // The market starts at 70.5 % of entry: positions still above their liquidation price watch a falling band, the
    // others (in the engine: past their band and being dealt with) a rising one, strictly beyond the price.
    private const long StartE8 = EntryE8 * 705 / 1000;

    private static (BandDirection, long) Band(long liquidationE8, long priceE8) =>
        priceE8 > liquidationE8 ? (BandDirection.Falling, liquidationE8) : (BandDirection.Rising, liquidationE8 + 1);

    private long NextPrice() => ++_tick % 2 == 0 ? EntryE8 * 700 / 1000 : EntryE8 * 705 / 1000;

    /// <summary>The floor: one pass over a flat array of liquidation prices.</summary>
    [Benchmark(Baseline = true)]
    public int ArrayScan()
    {
        var price = NextPrice();
        var crossed = 0;
        var prices = _liquidationPrices;
        for (var i = 0; i < prices.Length; i++)
        {
            crossed += price <= prices[i] ? 1 : 0;
        }

        return crossed;
    }

    /// <summary>Every position evaluates its own margin at the new price.</summary>
    [Benchmark]
    public int NaiveFanOut()
    {
        var price = NextPrice();
        var liquidatable = 0;
        foreach (var terms in _terms)
        {
            liquidatable += MarginMath.IsLiquidatable(terms, price) ? 1 : 0;
        }

        return liquidatable;
    }

    /// <summary>The engine: take the crossed bands, wake those positions, let them register again.</summary>
    [Benchmark]
    public int BandLadder()
    {
        var price = NextPrice();
        var woken = _ladder.TakeCrossed(price);
        foreach (var id in woken)
        {
            var index = int.Parse(id.AsSpan(2), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            _ladder.Set(id, [Band(_liquidationPrices[index], price)]);
        }

        return woken.Count;
    }

    /// <summary>The position book: take the crossed rows, let each register its band on the other side.</summary>
    [Benchmark]
    public int PositionBook()
    {
        var price = NextPrice();
        _taken.Clear();
        _book.TakeCrossed(price, _taken);
        foreach (var key in _taken)
        {
            _book.TryGet(key, out var row);
            var liquidation = row.Liquidation.Direction == BandDirection.Falling ? row.Liquidation.PriceE8 : row.Liquidation.PriceE8 - 1;
            var (direction, band) = Band(liquidation, price);
            _book.Upsert(row with { Liquidation = new BookBand(direction, band) });
        }

        return _taken.Count;
    }
}
