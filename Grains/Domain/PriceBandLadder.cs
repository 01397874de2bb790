using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Domain;

/// <summary>
/// Price bands of many positions kept in two sorted ladders, so that a tick finds the positions whose band it crossed
/// in O(log n + crossed) — never a walk over every position. A crossed band is removed: the position re-registers
/// fresh bands after it has re-assessed, which also conflates bursts of ticks into one wake-up per position.
/// </summary>
/// <remarks>
/// No longer on the engine's path: the market's book (<see cref="Book.PositionBook"/>, pointer-free rows) replaced it.
/// It is kept, deliberately, as the reference model the book's property test compares against
/// (<c>PositionBookLadderTests</c>) and as the baseline of the tick-path benchmark and the memory census; both need the
/// same semantics, so it lives beside the rules rather than in either. Not thread-safe.
/// </remarks>
public sealed class PriceBandLadder
{
    // Upper sentinel for the (price, owner) order: sorts after any owner id at the same price.
    private static readonly string MaxOwner = new(char.MaxValue, 1);

    private readonly SortedSet<(long PriceE8, string Owner)> _falling = new(BandOrder.Instance);
    private readonly SortedSet<(long PriceE8, string Owner)> _rising = new(BandOrder.Instance);
    private readonly Dictionary<string, List<(BandDirection Direction, long PriceE8)>> _byOwner = new(StringComparer.Ordinal);

    /// <summary>Number of owners with at least one band.</summary>
    public int OwnerCount => _byOwner.Count;

    /// <summary>Number of bands in both ladders.</summary>
    public int BandCount => _falling.Count + _rising.Count;

    /// <summary>Replaces every band of <paramref name="owner"/> with <paramref name="bands"/>.</summary>
    public void Set(string owner, IEnumerable<(BandDirection Direction, long PriceE8)> bands)
    {
        Remove(owner);
        var list = bands.Where(b => b.PriceE8 > 0).Distinct().ToList();
        if (list.Count == 0)
        {
            return;
        }

        foreach (var (direction, price) in list)
        {
            LadderFor(direction).Add((price, owner));
        }

        _byOwner[owner] = list;
    }

    /// <summary>Removes every band of <paramref name="owner"/>; unknown owners are ignored.</summary>
    public void Remove(string owner)
    {
        if (!_byOwner.Remove(owner, out var bands))
        {
            return;
        }

        foreach (var (direction, price) in bands)
        {
            LadderFor(direction).Remove((price, owner));
        }
    }

    /// <summary>
    /// The owners with a band crossed by a move to <paramref name="priceE8"/>, each once, removed from the ladders.
    /// </summary>
    public IReadOnlyList<string> TakeCrossed(long priceE8)
    {
        var crossed = new HashSet<string>(StringComparer.Ordinal);
        // Falling bands at or above the price, rising bands at or below it.
        if (_falling.Count > 0 && _falling.Max.PriceE8 >= priceE8)
        {
            foreach (var band in _falling.GetViewBetween((priceE8, string.Empty), _falling.Max))
            {
                crossed.Add(band.Owner);
            }
        }

        if (_rising.Count > 0 && _rising.Min.PriceE8 <= priceE8)
        {
            foreach (var band in _rising.GetViewBetween(_rising.Min, (priceE8, MaxOwner)))
            {
                crossed.Add(band.Owner);
            }
        }

        var owners = crossed.ToList();
        foreach (var owner in owners)
        {
            Remove(owner);
        }

        return owners;
    }

    private SortedSet<(long PriceE8, string Owner)> LadderFor(BandDirection direction) =>
        direction == BandDirection.Falling ? _falling : _rising;

    /// <summary>Price first, then owner id compared ordinally (culture must never reorder a ladder).</summary>
    private sealed class BandOrder : IComparer<(long PriceE8, string Owner)>
    {
        public static readonly BandOrder Instance = new();

        public int Compare((long PriceE8, string Owner) x, (long PriceE8, string Owner) y)
        {
            var byPrice = x.PriceE8.CompareTo(y.PriceE8);
            return byPrice != 0 ? byPrice : string.CompareOrdinal(x.Owner, y.Owner);
        }
    }
}
