namespace Aml.Orleans.Grains.Book;

/// <summary>
/// The book's write-ahead contract: a change is acknowledged only after the flush that contains it has committed.
/// A caller upserts, then awaits <see cref="WhenDurableAsync"/> with the change's number; the first waiter starts a
/// flush and everyone who arrives while it is on its way joins the next one (group commit: one round trip per flush,
/// however many changes it carries). A failed flush hands its delta back to the book and leaves its waiters waiting
/// for the next successful flush (the owner's periodic <see cref="FlushAsync"/> retries); nothing is acknowledged
/// that is not stored.
/// </summary>
/// <remarks>Not thread-safe: it lives inside one grain, with the book it flushes.</remarks>
public sealed class BookFlusher(PositionBook book, Func<BookDelta, CancellationToken, Task> write)
{
    private readonly PriorityQueue<TaskCompletionSource, long> _waiters = new();
    private readonly SemaphoreSlim _gate = new(1, 1); // one write at a time, so a row's older state never lands last
    private bool _flushing; // a flush loop for waiters runs (a flag, not its task: a loop that ends synchronously clears it)

    /// <summary>The number of the newest change known to be stored.</summary>
    public long DurableSequence { get; private set; }

    /// <summary>The error of the latest flush, or null when it succeeded.</summary>
    public Exception? LastError { get; private set; }

    /// <summary>Callers waiting for a flush.</summary>
    public int Waiting => _waiters.Count;

    /// <summary>
    /// Completes once change <paramref name="sequence"/> is stored, starting a flush if none is on its way. Changes
    /// numbered 0 (nothing changed) are durable at once.
    /// </summary>
    public Task WhenDurableAsync(long sequence)
    {
        if (sequence <= DurableSequence)
        {
            return Task.CompletedTask;
        }

        if (sequence > book.Sequence)
        {
            throw new ArgumentOutOfRangeException(nameof(sequence), sequence, $"the book's newest change is {book.Sequence}");
        }

        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters.Enqueue(waiter, sequence);
        if (!_flushing)
        {
            _ = FlushWhileWaitedAsync();
        }

        return waiter.Task;
    }

    /// <summary>
    /// Writes the book's changes since the last flush in one round trip (after the flush on its way, if any).
    /// Throws what the write threw; the changes are then kept for the next flush.
    /// </summary>
    /// <returns>How many rows the flush wrote or deleted.</returns>
    public Task<int> FlushAsync(CancellationToken cancellationToken = default) => FlushOnceAsync(cancellationToken);

    private async Task FlushWhileWaitedAsync()
    {
        _flushing = true;
        try
        {
            while (_waiters.TryPeek(out _, out var sequence) && sequence > DurableSequence)
            {
                await FlushOnceAsync(CancellationToken.None);
            }
        }
        catch (Exception ex)
        {
            LastError = ex; // the waiters stay: the owner's next FlushAsync retries and releases them
        }
        finally
        {
            _flushing = false;
        }
    }

    private async Task<int> FlushOnceAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var delta = book.TakeDelta();
            if (!delta.IsEmpty)
            {
                try
                {
                    await write(delta, cancellationToken);
                }
                catch (Exception ex)
                {
                    book.ReturnDelta(delta);
                    LastError = ex;
                    throw;
                }
            }

            LastError = null;
            DurableSequence = Math.Max(DurableSequence, delta.Sequence);
            while (_waiters.TryPeek(out var waiter, out var sequence) && sequence <= DurableSequence)
            {
                _waiters.Dequeue();
                waiter.SetResult();
            }

            return delta.Upserts.Length + delta.Deletes.Length;
        }
        finally
        {
            _gate.Release();
        }
    }
}
