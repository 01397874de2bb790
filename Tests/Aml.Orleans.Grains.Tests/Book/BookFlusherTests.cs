using Aml.Orleans.Grains.Book;

namespace Aml.Orleans.Grains.Tests.Book;

public sealed class BookFlusherTests
{
    [Fact]
    public async Task WhenDurableAsync_ChangesArrivingDuringAFlush_AcknowledgedAfterTheirOwnFlushAndJoinedInOne()
    {
        var random = new Random(31);
        var book = new PositionBook();
        var writes = new List<(BookDelta Delta, TaskCompletionSource Done)>();
        var flusher = new BookFlusher(book, (delta, _) =>
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            writes.Add((delta, done));
            return done.Task;
        });

        var first = flusher.WhenDurableAsync(book.Upsert(RandomRows.Row(random, RandomRows.Key(random))));
        var second = flusher.WhenDurableAsync(book.Upsert(RandomRows.Row(random, RandomRows.Key(random))));
        var third = flusher.WhenDurableAsync(book.Upsert(RandomRows.Row(random, RandomRows.Key(random))));

        Assert.Single(writes); // the first flush is on its way with the first change only
        Assert.False(first.IsCompleted);
        writes[0].Done.SetResult();
        await first;
        await WaitForAsync(() => writes.Count == 2);
        Assert.False(second.IsCompleted || third.IsCompleted); // not acknowledged before their flush committed
        Assert.Equal(2, writes[1].Delta.Upserts.Length); // both joined one flush
        writes[1].Done.SetResult();
        await Task.WhenAll(second, third);
        Assert.Equal(book.Sequence, flusher.DurableSequence);
        Assert.Equal(0, flusher.Waiting);
    }

    [Fact]
    public async Task WhenDurableAsync_WriteCompletesSynchronously_LaterChangesStillFlushed()
    {
        // A write that completes at once (the driver answered from its buffers) ends the flush loop before the waiter
        // is even returned; the flusher must not mistake that finished loop for one still on its way.
        var random = new Random(33);
        var book = new PositionBook();
        var written = 0;
        var flusher = new BookFlusher(book, (delta, _) =>
        {
            written += delta.Upserts.Length;
            return Task.CompletedTask;
        });

        for (var i = 1; i <= 3; i++)
        {
            var durable = flusher.WhenDurableAsync(book.Upsert(RandomRows.Row(random, RandomRows.Key(random))));
            Assert.True(durable.IsCompletedSuccessfully, $"change {i} was not acknowledged");
            await durable;
        }

        Assert.Equal((3, 3L, 0), (written, flusher.DurableSequence, flusher.Waiting));
    }

    [Fact]
    public async Task WhenDurableAsync_FlushFails_WaiterWaitsUntilARetrySucceeds()
    {
        var random = new Random(32);
        var book = new PositionBook();
        var stored = new Dictionary<PositionKey, BookRow>();
        var failing = true;
        var flusher = new BookFlusher(book, (delta, _) =>
        {
            if (failing)
            {
                throw new InvalidOperationException("PostgreSQL is down");
            }

            foreach (var row in delta.Upserts)
            {
                stored[row.Key] = row;
            }

            return Task.CompletedTask;
        });
        var row = RandomRows.Row(random, RandomRows.Key(random));

        var acknowledged = flusher.WhenDurableAsync(book.Upsert(row));

        Assert.False(acknowledged.IsCompleted);
        Assert.IsType<InvalidOperationException>(flusher.LastError);
        Assert.True(book.HasChanges); // the failed delta went back to the book
        failing = false;
        Assert.Equal(1, await flusher.FlushAsync());
        await acknowledged;
        Assert.Equal(row, stored[row.Key]);
        Assert.Null(flusher.LastError);
    }

    [Fact]
    public async Task WhenDurableAsync_UnknownFutureSequence_Throws()
    {
        var flusher = new BookFlusher(new PositionBook(), (_, _) => Task.CompletedTask);

        await flusher.WhenDurableAsync(0);
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = flusher.WhenDurableAsync(1); }); // refused at once, not in a task
    }

    // The loop's next flush starts on a continuation: wait for it with a deadline, never a fixed sleep.
    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 10 s");
            await Task.Yield();
        }
    }
}
