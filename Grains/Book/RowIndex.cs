namespace Aml.Orleans.Grains.Book;

/// <summary>
/// Position id → row number, as an open-addressing table of ints (linear probing, at most half full, deletion by
/// backward shift so no tombstones pile up). The keys themselves live in the rows; the table holds only row numbers,
/// 4 bytes a slot, so it is pointer-free like the rows.
/// </summary>
/// <remarks>Not thread-safe: it lives inside one grain.</remarks>
internal sealed class RowIndex
{
    private int[] _slots = new int[16]; // row + 1; 0 = empty
    private int _count;

    /// <summary>Bytes held by the table (for the book's census).</summary>
    public long CapacityBytes => (long)_slots.Length * sizeof(int);

    /// <summary>The row of <paramref name="key"/>, or -1.</summary>
    public int Find(PositionKey key, ReadOnlySpan<BookRow> rows)
    {
        var mask = _slots.Length - 1;
        for (var slot = Home(key, mask); ; slot = (slot + 1) & mask)
        {
            var row = _slots[slot] - 1;
            if (row < 0)
            {
                return -1;
            }

            if (rows[row].Key == key)
            {
                return row;
            }
        }
    }

    /// <summary>Records that <paramref name="key"/> is at <paramref name="row"/>; the key must not be present.</summary>
    public void Add(PositionKey key, int row, ReadOnlySpan<BookRow> rows)
    {
        if (2 * (_count + 1) > _slots.Length)
        {
            Grow(rows);
        }

        Place(key, row);
        _count++;
    }

    /// <summary>Makes room for <paramref name="count"/> keys without growing again.</summary>
    public void Reserve(int count, ReadOnlySpan<BookRow> rows)
    {
        if (2 * count > _slots.Length)
        {
            Grow(rows, count);
        }
    }

    /// <summary>Forgets <paramref name="key"/>, which is at <paramref name="row"/>.</summary>
    public void Remove(PositionKey key, int row, ReadOnlySpan<BookRow> rows)
    {
        var mask = _slots.Length - 1;
        var hole = Home(key, mask);
        while (_slots[hole] - 1 != row)
        {
            hole = (hole + 1) & mask;
        }

        // Backward shift: move later members of the probe run into the hole when their home allows it.
        for (var next = (hole + 1) & mask; _slots[next] != 0; next = (next + 1) & mask)
        {
            var home = Home(rows[_slots[next] - 1].Key, mask);
            var movable = hole <= next ? home <= hole || home > next : home <= hole && home > next;
            if (movable)
            {
                _slots[hole] = _slots[next];
                hole = next;
            }
        }

        _slots[hole] = 0;
        _count--;
    }

    /// <summary>Forgets every key (capacity stays).</summary>
    public void Clear()
    {
        Array.Clear(_slots);
        _count = 0;
    }

    private static int Home(PositionKey key, int mask) => (int)(key.StableHash() & (ulong)mask);

    private void Place(PositionKey key, int row)
    {
        var mask = _slots.Length - 1;
        var slot = Home(key, mask);
        while (_slots[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }

        _slots[slot] = row + 1;
    }

    private void Grow(ReadOnlySpan<BookRow> rows, int atLeast = 0)
    {
        var size = _slots.Length * 2;
        while (size < 2 * Math.Max(atLeast, _count + 1))
        {
            size *= 2;
        }

        var old = _slots;
        _slots = new int[size];
        foreach (var entry in old)
        {
            if (entry != 0)
            {
                Place(rows[entry - 1].Key, entry - 1);
            }
        }
    }
}
