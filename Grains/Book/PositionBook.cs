using System.Runtime.CompilerServices;
using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Book;

/// <summary>
/// One shard's positions as compact rows (see <see cref="BookRow"/>): arrays of unmanaged structs the GC does not
/// trace, an id → row table of ints, two band ladders and a reassessment queue as index heaps over row numbers.
/// <list type="bullet">
/// <item>a tick takes the rows whose band it crossed — each once, all its bands disarmed (conflation: a burst of ticks
/// wakes a position once, until it is upserted with fresh bands); a tick that crosses nothing costs two peeks, each
/// crossed band O(log n), as <see cref="Domain.PriceBandLadder"/> does, whose semantics it keeps;</item>
/// <item>a sweep takes the rows due for reassessment, earliest first, in batches;</item>
/// <item>a health check answers from the row alone, with <see cref="Domain.MarginMath"/>;</item>
/// <item>every change gets a number and marks its row dirty; <see cref="TakeDelta"/> hands the changed rows to the
/// flush, so storage is written as rows, never as one blob.</item>
/// </list>
/// Taking a band or a due row changes the book in memory only: the stored row keeps its bands and due time, so a
/// reload after a crash wakes and sweeps again whatever was taken but not yet dealt with (at least once, never lost).
/// </summary>
/// <remarks>Not thread-safe: it lives inside one grain, whose turns never overlap.</remarks>
public sealed class PositionBook
{
    private BookRow[] _rows;
    private int _used;                // rows [0, _used) have been handed out; free ones have a zero key
    private int[] _free = [];
    private int _freeCount;
    private readonly RowIndex _index = new();
    private readonly RowHeap _falling = new(); // key −price: the top is the highest falling band
    private readonly RowHeap _rising = new();  // key price: the top is the lowest rising band
    private readonly RowHeap _due = new();     // key next reassessment (unix ms)

    private byte[] _dirty;
    private int[] _dirtyRows = [];
    private int _dirtyCount;
    private readonly HashSet<PositionKey> _deleted = [];
    private long _sequence;

    /// <summary>An empty book with room for <paramref name="capacity"/> rows before it grows.</summary>
    public PositionBook(int capacity = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _rows = new BookRow[capacity];
        _dirty = new byte[capacity];
        EnsureHandles(capacity);
        _index.Reserve(capacity, _rows);
    }

    /// <summary>Rows in the book.</summary>
    public int Count { get; private set; }

    /// <summary>Bands armed in the ladders (a tick can still take them).</summary>
    public int ArmedBands => _falling.Count + _rising.Count;

    /// <summary>Rows queued for a sweep.</summary>
    public int Scheduled => _due.Count;

    /// <summary>The number of the latest change (0 before any).</summary>
    public long Sequence => _sequence;

    /// <summary>True when changes wait for a flush.</summary>
    public bool HasChanges => _dirtyCount > 0 || _deleted.Count > 0;

    /// <summary>Bytes held by the book's arrays, for the per-row census.</summary>
    public long CapacityBytes =>
        (long)_rows.Length * Unsafe.SizeOf<BookRow>() + _dirty.Length + (long)_dirtyRows.Length * sizeof(int) +
        (long)_free.Length * sizeof(int) + _index.CapacityBytes + _falling.CapacityBytes + _rising.CapacityBytes + _due.CapacityBytes;

    /// <summary>Every row, in row order.</summary>
    public IEnumerable<BookRow> Rows
    {
        get
        {
            for (var i = 0; i < _used; i++)
            {
                if (!_rows[i].Key.IsZero)
                {
                    yield return _rows[i];
                }
            }
        }
    }

    /// <summary>The row of <paramref name="key"/>, if the book has it.</summary>
    public bool TryGet(PositionKey key, out BookRow row)
    {
        var index = _index.Find(key, _rows);
        row = index < 0 ? default : _rows[index];
        return index >= 0;
    }

    /// <summary>
    /// Inserts or replaces the row of <paramref name="row"/>'s id: its bands are armed afresh and its reassessment
    /// queued at its due time. Returns the change's number (see <see cref="BookFlusher.WhenDurableAsync"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The row is not a live position's (the book is left unchanged).</exception>
    public long Upsert(in BookRow row)
    {
        row.Validate();
        var index = _index.Find(row.Key, _rows);
        if (index < 0)
        {
            index = AllocateRow();
            _rows[index] = row;
            _index.Add(row.Key, index, _rows);
            Count++;
        }
        else
        {
            _rows[index] = row;
        }

        Arm(index);
        Schedule(index);
        _deleted.Remove(row.Key);
        MarkDirty(index);
        return ++_sequence;
    }

    /// <summary>Removes the row of <paramref name="key"/>; false (and no change) when the book does not have it.</summary>
    public bool Remove(PositionKey key, out long sequence)
    {
        var index = _index.Find(key, _rows);
        if (index < 0)
        {
            sequence = 0;
            return false;
        }

        Disarm(index);
        _due.Remove(index);
        _index.Remove(key, index, _rows);
        _rows[index] = default;
        _dirty[index] = 0;
        PushFree(index);
        Count--;
        _deleted.Add(key);
        sequence = ++_sequence;
        return true;
    }

    /// <summary>Moves the row's next reassessment to <paramref name="atMs"/> (unix ms; <see cref="BookRow.NotScheduled"/> for none).</summary>
    /// <returns>The change's number, or 0 when the book does not have the row.</returns>
    public long Reschedule(PositionKey key, long atMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(atMs);
        var index = _index.Find(key, _rows);
        if (index < 0)
        {
            return 0;
        }

        _rows[index] = _rows[index] with { NextReassessAtMs = atMs };
        Schedule(index);
        MarkDirty(index);
        return ++_sequence;
    }

    /// <summary>
    /// Adds the ids of the rows with a band crossed by a move to <paramref name="priceE8"/> (falling bands at or above
    /// it, rising bands at or below it) to <paramref name="into"/>, each once, and disarms all their bands.
    /// </summary>
    /// <returns>How many rows were taken.</returns>
    public int TakeCrossed(long priceE8, List<PositionKey> into)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(priceE8);
        ArgumentNullException.ThrowIfNull(into);
        var before = into.Count;
        while (_falling.TryPeek(out var negated, out var handle) && -negated >= priceE8)
        {
            Take(handle >> 1, into);
        }

        while (_rising.TryPeek(out var price, out var handle) && price <= priceE8)
        {
            Take(handle >> 1, into);
        }

        return into.Count - before;
    }

    /// <summary>
    /// Adds to <paramref name="into"/> up to <paramref name="maxRows"/> ids of rows due for reassessment at
    /// <paramref name="nowMs"/>, earliest first, and takes them off the queue until they are rescheduled or upserted.
    /// </summary>
    /// <returns>How many rows were taken; fewer than <paramref name="maxRows"/> means none is left due.</returns>
    public int TakeDue(long nowMs, int maxRows, List<PositionKey> into)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRows);
        ArgumentNullException.ThrowIfNull(into);
        var taken = 0;
        while (taken < maxRows && _due.TryPeek(out var dueMs, out var index) && dueMs <= nowMs)
        {
            _due.Remove(index);
            into.Add(_rows[index].Key);
            taken++;
        }

        return taken;
    }

    /// <summary>The health of <paramref name="key"/>'s position at <paramref name="priceE8"/>, from its row alone.</summary>
    public bool TryCheck(PositionKey key, long priceE8, long nowUnixSeconds, out BookHealth health)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(priceE8);
        var index = _index.Find(key, _rows);
        health = index < 0 ? default : BookHealth.Of(_rows[index], priceE8, nowUnixSeconds);
        return index >= 0;
    }

    /// <summary>
    /// Fills an empty book with rows as storage (or the seeder) holds them: armed and queued, not dirty. Either all
    /// rows load or, on a bad row or a repeated id, none does.
    /// </summary>
    /// <exception cref="InvalidOperationException">The book is not empty.</exception>
    /// <exception cref="ArgumentException">A row is invalid or an id repeats.</exception>
    public void Load(ReadOnlySpan<BookRow> rows)
    {
        if (Count != 0 || _deleted.Count != 0)
        {
            throw new InvalidOperationException("rows are loaded into an empty book only (activation or seeding)");
        }

        foreach (ref readonly var row in rows)
        {
            row.Validate();
        }

        Reserve(rows.Length);
        foreach (ref readonly var row in rows)
        {
            if (_index.Find(row.Key, _rows) >= 0)
            {
                Reset();
                throw new ArgumentException($"position {row.Key} appears twice in the rows loaded", nameof(rows));
            }

            var index = AllocateRow();
            _rows[index] = row;
            _index.Add(row.Key, index, _rows);
            Count++;
            Arm(index);
            Schedule(index);
        }
    }

    /// <summary>Hands the changes since the previous delta to a flush and starts collecting anew.</summary>
    public BookDelta TakeDelta()
    {
        var upserts = new List<BookRow>(_dirtyCount);
        for (var i = 0; i < _dirtyCount; i++)
        {
            var index = _dirtyRows[i];
            if (_dirty[index] != 0)
            {
                _dirty[index] = 0; // a row listed twice (freed, then reused) is written once
                upserts.Add(_rows[index]);
            }
        }

        _dirtyCount = 0;
        var deletes = _deleted.ToArray();
        _deleted.Clear();
        return new BookDelta([.. upserts], deletes, _sequence);
    }

    /// <summary>
    /// Gives back a delta whose flush failed: its rows are marked changed again, so the next delta writes their newest
    /// state (or their removal, if they were removed since).
    /// </summary>
    public void ReturnDelta(BookDelta delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        foreach (var key in delta.Upserts.Select(r => r.Key).Concat(delta.Deletes))
        {
            var index = _index.Find(key, _rows);
            if (index >= 0)
            {
                MarkDirty(index);
            }
            else
            {
                _deleted.Add(key);
            }
        }
    }

    private void Take(int index, List<PositionKey> into)
    {
        Disarm(index);
        into.Add(_rows[index].Key);
    }

    private void Arm(int index)
    {
        Disarm(index);
        ref readonly var row = ref _rows[index];
        ArmBand(2 * index, row.Liquidation);
        if (row.Warning != row.Liquidation)
        {
            ArmBand(2 * index + 1, row.Warning);
        }
    }

    private void ArmBand(int handle, BookBand band)
    {
        if (!band.IsSet)
        {
            return;
        }

        if (band.Direction == BandDirection.Falling)
        {
            _falling.Set(handle, -band.PriceE8);
        }
        else
        {
            _rising.Set(handle, band.PriceE8);
        }
    }

    private void Disarm(int index)
    {
        for (var handle = 2 * index; handle <= 2 * index + 1; handle++)
        {
            if (!_falling.Remove(handle))
            {
                _rising.Remove(handle);
            }
        }
    }

    private void Schedule(int index)
    {
        var at = _rows[index].NextReassessAtMs;
        if (at == BookRow.NotScheduled)
        {
            _due.Remove(index);
        }
        else
        {
            _due.Set(index, at);
        }
    }

    private void MarkDirty(int index)
    {
        if (_dirty[index] != 0)
        {
            return;
        }

        _dirty[index] = 1;
        if (_dirtyCount == _dirtyRows.Length)
        {
            Array.Resize(ref _dirtyRows, Math.Max(16, _dirtyRows.Length * 2));
        }

        _dirtyRows[_dirtyCount++] = index;
    }

    private int AllocateRow()
    {
        if (_freeCount > 0)
        {
            return _free[--_freeCount];
        }

        if (_used == _rows.Length)
        {
            Reserve(Math.Max(16, _rows.Length));
        }

        return _used++;
    }

    private void PushFree(int index)
    {
        if (_freeCount == _free.Length)
        {
            Array.Resize(ref _free, Math.Max(16, _free.Length * 2));
        }

        _free[_freeCount++] = index;
    }

    // Room for `more` rows beyond those handed out (activation and seeding reserve exactly; growth doubles).
    private void Reserve(int more)
    {
        var target = _used + more;
        if (target > _rows.Length)
        {
            Array.Resize(ref _rows, target);
            Array.Resize(ref _dirty, target);
            EnsureHandles(target);
        }

        _index.Reserve(Count + more, _rows);
    }

    private void EnsureHandles(int rows)
    {
        _falling.EnsureHandles(2 * rows);
        _rising.EnsureHandles(2 * rows);
        _due.EnsureHandles(rows);
    }

    private void Reset()
    {
        Array.Clear(_rows);
        Array.Clear(_dirty);
        (_used, _freeCount, _dirtyCount, Count) = (0, 0, 0, 0);
        _falling.Clear();
        _rising.Clear();
        _due.Clear();
        _index.Clear();
    }
}
