using Aml.Orleans.Benchmarks.Book;
using Aml.Orleans.Grains.Book;
using BenchmarkDotNet.Attributes;

namespace Aml.Orleans.Benchmarks;

/// <summary>
/// The position book's other per-row work at N rows, per row (OperationsPerInvoke): the reassessment sweep (take the
/// rows due now in a batch of 256, reschedule each one interval later — the steady state of a five-minute
/// reassessment) against its floor, one pass over a flat array of due times per batch; and the local health check of
/// one row. The tick is in <see cref="TickPathBenchmarks"/> (beside the ladder it replaces); memory and seeding are
/// the <c>book</c> verb (Program). <c>./aml bench</c> runs it.
/// </summary>
[MemoryDiagnoser]
public class PositionBookBenchmarks
{
    private const int Batch = 256;
    private const long IntervalMs = BookBenchRows.IntervalMs;
    private PositionBook _book = null!;
    private PositionKey[] _keys = [];
    private long[] _dueTimes = [];
    private readonly List<PositionKey> _due = new(Batch);
    private long _nowMs;
    private long _stepMs;
    private int _probe;

    /// <summary>Rows in the shard.</summary>
    [Params(10_000, 100_000, 1_000_000)]
    public int Rows { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rows = BookBenchRows.Generate(Rows, 9);
        _keys = [.. rows.Select(r => r.Key)];
        _dueTimes = [.. rows.Select(r => r.NextReassessAtMs)];
        _book = new PositionBook(Rows);
        _book.Load(rows);
        _stepMs = Math.Max(1, IntervalMs * Batch / Rows); // about one batch comes due per step
        _nowMs = 0;
    }

    /// <summary>The floor: one pass over a flat array of due times, per due row of a batch.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public int DueScan()
    {
        var now = _nowMs += _stepMs;
        var due = 0;
        var times = _dueTimes;
        for (var i = 0; i < times.Length; i++)
        {
            due += times[i] <= now ? 1 : 0;
        }

        return due;
    }

    /// <summary>The book's sweep: take up to a batch of due rows, reschedule each one interval on.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int Sweep()
    {
        var now = _nowMs += _stepMs;
        _due.Clear();
        var taken = _book.TakeDue(now, Batch, _due);
        foreach (var key in _due)
        {
            _book.Reschedule(key, now + IntervalMs);
        }

        return taken;
    }

    /// <summary>The local health check of one row at a price (no grain activation), per row.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int HealthCheck()
    {
        var liquidatable = 0;
        for (var i = 0; i < Batch; i++)
        {
            var key = _keys[_probe = (_probe + 7919) % _keys.Length];
            _book.TryCheck(key, 1_900_00000000, 0, out var health);
            liquidatable += health.Liquidatable ? 1 : 0;
        }

        return liquidatable;
    }
}
