using System.Runtime.CompilerServices;
using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Tests.Book;

public sealed class PositionBookTests
{
    [Fact]
    public void BookRow_Layout_128BytesWithoutReferences()
    {
        // The point of the book: rows the GC never traces, small enough for a million per silo.
        Assert.False(RuntimeHelpers.IsReferenceOrContainsReferences<BookRow>());
        Assert.Equal(128, Unsafe.SizeOf<BookRow>());
    }

    [Fact]
    public void TakeDue_RandomDueTimes_EarliestFirstInBatchesEachOnce()
    {
        var random = new Random(11);
        var book = new PositionBook();
        var rows = Enumerable.Range(0, 5_000).Select(_ => RandomRows.Row(random, RandomRows.Key(random), maxDueMs: 10_000)).ToArray();
        foreach (var row in rows)
        {
            book.Upsert(row);
        }

        const long now = 6_000;
        var taken = new List<PositionKey>();
        var batches = 0;
        while (book.TakeDue(now, 256, taken) == 256)
        {
            batches++;
        }

        var dueAt = rows.ToDictionary(r => r.Key, r => r.NextReassessAtMs);
        var expected = rows.Where(r => r.NextReassessAtMs != BookRow.NotScheduled && r.NextReassessAtMs <= now).ToArray();
        Assert.Equal(expected.Length, taken.Count);
        Assert.Equal(expected.Length / 256, batches);
        Assert.Equal(expected.Select(r => r.Key).ToHashSet(), taken.ToHashSet());
        Assert.All(taken.Zip(taken.Skip(1)), pair => Assert.True(dueAt[pair.First] <= dueAt[pair.Second]));
        Assert.Equal(0, book.TakeDue(now, 256, taken)); // taken rows stay off the queue until rescheduled
    }

    [Fact]
    public void Reschedule_TakenRow_DueAgainAtItsNewTime()
    {
        var random = new Random(12);
        var book = new PositionBook();
        var row = RandomRows.Row(random, RandomRows.Key(random)) with { NextReassessAtMs = 100 };
        book.Upsert(row);
        var taken = new List<PositionKey>();
        Assert.Equal(1, book.TakeDue(100, 10, taken));

        var sequence = book.Reschedule(row.Key, 500);

        Assert.Equal(0, book.TakeDue(499, 10, taken));
        Assert.Equal(1, book.TakeDue(500, 10, taken));
        Assert.Equal(book.Sequence, sequence);
        Assert.True(book.TryGet(row.Key, out var stored));
        Assert.Equal(500, stored.NextReassessAtMs);
        Assert.Equal(0, book.Reschedule(RandomRows.Key(random), 500)); // unknown row: no change
    }

    [Fact]
    public void TakeDue_NotScheduledRow_NeverTaken()
    {
        var random = new Random(13);
        var book = new PositionBook();
        book.Upsert(RandomRows.Row(random, RandomRows.Key(random)) with { NextReassessAtMs = BookRow.NotScheduled });

        Assert.Equal(0, book.TakeDue(long.MaxValue, 10, []));
        Assert.Equal(0, book.Scheduled);
    }

    [Fact]
    public void TryCheck_RandomRowsAndPrices_EqualsMarginMathWithTheMarginInForce()
    {
        var random = new Random(14);
        var book = new PositionBook();
        for (var i = 0; i < 20_000; i++)
        {
            var row = RandomRows.Row(random, RandomRows.Key(random));
            book.Upsert(row);
            var price = random.NextInt64(1, 3_000_00000000);
            var now = random.Next(0, 3_000);
            var inForce = row.PendingMarginBps != 0 && (ulong)now >= row.PendingMarginFrom ? row.PendingMarginBps : row.MaintenanceMarginBps;
            var terms = new PositionTerms(row.IsLong, row.Collateral, row.Size, row.EntryPriceE8, inForce);

            Assert.True(book.TryCheck(row.Key, price, now, out var health));

            Assert.Equal(MarginMath.IsLiquidatable(terms, price), health.Liquidatable);
            Assert.Equal(MarginMath.Equity(terms, price), health.Equity);
            Assert.Equal(MarginMath.Requirement(row.Size, inForce), health.Requirement);
            Assert.Equal(inForce, health.MarginBps);
        }

        Assert.False(book.TryCheck(RandomRows.Key(random), 1, 0, out _));
    }

    [Fact]
    public void PositionBands_RandomTerms_LiquidationBandCrossedWhereverMarginMathLiquidates()
    {
        var random = new Random(15);
        for (var i = 0; i < 5_000; i++)
        {
            var row = RandomRows.Row(random, RandomRows.Key(random)) with { PendingMarginBps = 0, PendingMarginFrom = 0 };
            var terms = row.TermsAt(0);
            var mark = row.EntryPriceE8 + random.NextInt64(-row.EntryPriceE8 / 50, row.EntryPriceE8 / 50);
            if (MarginMath.IsLiquidatable(terms, mark))
            {
                continue; // liquidated at the mark: the grain acts at once, no band is watched for it
            }

            var banded = PositionBands.At(row, mark, 15_000, 0);
            var price = random.NextInt64(1, 2 * row.EntryPriceE8);

            Assert.False(banded.Liquidation.IsCrossedAt(mark));
            if (MarginMath.IsLiquidatable(terms, price))
            {
                Assert.True(banded.Liquidation.IsCrossedAt(price), $"{row} at {price}: liquidatable but band {banded.Liquidation} not crossed");
            }
        }
    }

    [Fact]
    public void Upsert_InvalidRow_ThrowsAndChangesNothing()
    {
        var random = new Random(16);
        var book = new PositionBook();
        var row = RandomRows.Row(random, RandomRows.Key(random));
        book.Upsert(row);
        var before = (book.Sequence, book.ArmedBands, book.Scheduled, book.Count);

        Assert.Throws<ArgumentException>(() => book.Upsert(row with { Size = 0 }));
        Assert.Throws<ArgumentException>(() => book.Upsert(row with { MaintenanceMarginBps = 10_001 }));
        Assert.Throws<ArgumentException>(() => book.Upsert(row with { Key = default }));
        Assert.Throws<ArgumentException>(() => book.Upsert(row with { Liquidation = new BookBand((BandDirection)7, 10) }));

        Assert.Equal(before, (book.Sequence, book.ArmedBands, book.Scheduled, book.Count));
        Assert.True(book.TryGet(row.Key, out var kept));
        Assert.Equal(row, kept);
    }

    [Fact]
    public void UpsertsAndRemoves_ManyRowsWithReuse_IndexFindsExactlyTheLiveRows()
    {
        var random = new Random(17);
        var book = new PositionBook();
        var live = new Dictionary<PositionKey, BookRow>();
        var keys = Enumerable.Range(0, 3_000).Select(_ => RandomRows.Key(random)).ToArray();
        for (var step = 0; step < 30_000; step++)
        {
            var key = keys[random.Next(keys.Length)];
            if (random.Next(3) == 0)
            {
                Assert.Equal(live.Remove(key), book.Remove(key, out _));
            }
            else
            {
                live[key] = RandomRows.Row(random, key);
                book.Upsert(live[key]);
            }
        }

        Assert.Equal(live.Count, book.Count);
        Assert.Equal(live.Values.ToHashSet(), book.Rows.ToHashSet());
        Assert.All(keys, k => Assert.Equal(live.ContainsKey(k), book.TryGet(k, out _)));
    }

    [Fact]
    public void TakeDelta_AfterChanges_NewestStateOfEachChangedRowAndTheRemovals()
    {
        var random = new Random(18);
        var book = new PositionBook();
        var rows = Enumerable.Range(0, 10).Select(_ => RandomRows.Row(random, RandomRows.Key(random))).ToArray();
        book.Load(rows); // loaded rows are stored already: not dirty
        Assert.False(book.HasChanges);

        var changed = rows[1] with { Collateral = rows[1].Collateral + 1 };
        book.Upsert(rows[1] with { Version = 99 });
        book.Upsert(changed);
        book.Remove(rows[2].Key, out _);
        book.Reschedule(rows[3].Key, 42);
        var removedThenBack = rows[4] with { Version = 7 };
        book.Remove(rows[4].Key, out _);
        book.Upsert(removedThenBack);

        var delta = book.TakeDelta();

        Assert.Equal(new[] { changed, rows[3] with { NextReassessAtMs = 42 }, removedThenBack }.ToHashSet(), delta.Upserts.ToHashSet());
        Assert.Equal([rows[2].Key], delta.Deletes);
        Assert.Equal(book.Sequence, delta.Sequence);
        Assert.True(book.TakeDelta().IsEmpty);
    }

    [Fact]
    public void ReturnDelta_FailedFlush_NextDeltaCarriesTheNewestState()
    {
        var random = new Random(19);
        var book = new PositionBook();
        var a = RandomRows.Row(random, RandomRows.Key(random));
        var b = RandomRows.Row(random, RandomRows.Key(random));
        var c = RandomRows.Row(random, RandomRows.Key(random));
        book.Load([c]);
        book.Upsert(a);
        book.Upsert(b);
        book.Remove(c.Key, out _);
        var failed = book.TakeDelta();
        book.Remove(a.Key, out _); // changed again while the flush failed
        var b2 = b with { Version = b.Version + 1 };
        book.Upsert(b2);

        book.ReturnDelta(failed);
        var next = book.TakeDelta();

        Assert.Equal([b2], next.Upserts);
        Assert.Equal(new[] { a.Key, c.Key }.ToHashSet(), next.Deletes.ToHashSet());
    }

    [Fact]
    public void Load_RepeatedId_ThrowsAndLeavesTheBookEmpty()
    {
        var random = new Random(20);
        var row = RandomRows.Row(random, RandomRows.Key(random));
        var book = new PositionBook();

        Assert.Throws<ArgumentException>(() => book.Load([RandomRows.Row(random, RandomRows.Key(random)), row, row]));

        Assert.Equal(0, book.Count);
        Assert.Equal(0, book.ArmedBands);
        Assert.Equal(0, book.Scheduled);
        book.Load([row]);
        Assert.Equal(1, book.Count);
    }
}
