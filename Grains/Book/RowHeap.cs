using System.Runtime.InteropServices;

namespace Aml.Orleans.Grains.Book;

/// <summary>
/// A binary min-heap of (key, handle) pairs in flat arrays that can also find, update and remove any handle in
/// O(log n): the book keeps its band ladders (falling bands with the key negated, so the top is the highest) and its
/// reassessment queue in these. Ties on the key go to the smaller handle, so the order never depends on history.
/// </summary>
/// <remarks>Not thread-safe: it lives inside one grain.</remarks>
internal sealed class RowHeap
{
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private struct Entry
    {
        public long Key;
        public int Handle;
    }

    private Entry[] _entries = [];

    // Position in _entries plus one, by handle; 0 = absent, so a freshly grown array needs no fill.
    private int[] _slotOf = [];

    /// <summary>Entries in the heap.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes held by the arrays (for the book's census).</summary>
    public long CapacityBytes => (long)_entries.Length * Marshal.SizeOf<Entry>() + (long)_slotOf.Length * sizeof(int);

    /// <summary>Makes room for handles below <paramref name="handles"/>.</summary>
    public void EnsureHandles(int handles)
    {
        if (handles > _slotOf.Length)
        {
            Array.Resize(ref _slotOf, handles);
        }
    }

    /// <summary>True when <paramref name="handle"/> is in the heap.</summary>
    public bool Contains(int handle) => _slotOf[handle] != 0;

    /// <summary>Inserts <paramref name="handle"/> with <paramref name="key"/>, or moves it there if present.</summary>
    public void Set(int handle, long key)
    {
        var slot = _slotOf[handle] - 1;
        if (slot < 0)
        {
            if (Count == _entries.Length)
            {
                Array.Resize(ref _entries, Math.Max(16, _entries.Length * 2));
            }

            slot = Count++;
            _entries[slot] = new Entry { Key = key, Handle = handle };
            _slotOf[handle] = slot + 1;
            Up(slot);
            return;
        }

        var old = _entries[slot].Key;
        _entries[slot].Key = key;
        if (key < old)
        {
            Up(slot);
        }
        else
        {
            Down(slot);
        }
    }

    /// <summary>Removes <paramref name="handle"/>; false when it was not there.</summary>
    public bool Remove(int handle)
    {
        var slot = _slotOf[handle] - 1;
        if (slot < 0)
        {
            return false;
        }

        _slotOf[handle] = 0;
        var last = --Count;
        if (slot != last)
        {
            _entries[slot] = _entries[last];
            _slotOf[_entries[slot].Handle] = slot + 1;
            Down(slot);
            Up(slot);
        }

        return true;
    }

    /// <summary>The smallest entry, if any.</summary>
    public bool TryPeek(out long key, out int handle)
    {
        if (Count == 0)
        {
            (key, handle) = (0, -1);
            return false;
        }

        (key, handle) = (_entries[0].Key, _entries[0].Handle);
        return true;
    }

    /// <summary>Drops every entry (capacity stays).</summary>
    public void Clear()
    {
        for (var i = 0; i < Count; i++)
        {
            _slotOf[_entries[i].Handle] = 0;
        }

        Count = 0;
    }

    private static bool Less(in Entry a, in Entry b) => a.Key < b.Key || (a.Key == b.Key && a.Handle < b.Handle);

    private void Up(int slot)
    {
        var entry = _entries[slot];
        while (slot > 0)
        {
            var parent = (slot - 1) >> 1;
            if (!Less(entry, _entries[parent]))
            {
                break;
            }

            Place(slot, _entries[parent]);
            slot = parent;
        }

        Place(slot, entry);
    }

    private void Down(int slot)
    {
        var entry = _entries[slot];
        while (true)
        {
            var child = 2 * slot + 1;
            if (child >= Count)
            {
                break;
            }

            if (child + 1 < Count && Less(_entries[child + 1], _entries[child]))
            {
                child++;
            }

            if (!Less(_entries[child], entry))
            {
                break;
            }

            Place(slot, _entries[child]);
            slot = child;
        }

        Place(slot, entry);
    }

    private void Place(int slot, Entry entry)
    {
        _entries[slot] = entry;
        _slotOf[entry.Handle] = slot + 1;
    }
}
