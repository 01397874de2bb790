using System.Collections.Concurrent;
using Aml.Orleans.Ethereum.Rpc;

namespace Aml.Orleans.Web.Tests;

/// <summary>
/// When each block was first seen on the chain (wall clock, unix ms), sampled every few milliseconds: the start of
/// "a position update on the page after its chain event", which the browser test measures and reports (never asserts).
/// </summary>
public sealed class BlockClock : IAsyncDisposable
{
    private readonly ConcurrentDictionary<ulong, long> _firstSeen = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;

    public BlockClock(JsonRpcClient rpc) => _sampler = SampleAsync(rpc, _stop.Token);

    /// <summary>The unix time in ms at which <paramref name="block"/> was first seen, when the sampler saw it.</summary>
    public long? FirstSeen(ulong block) => _firstSeen.TryGetValue(block, out var at) ? at : null;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _sampler;
        }
        catch (OperationCanceledException)
        {
            // stopped
        }

        _stop.Dispose();
    }

    private async Task SampleAsync(JsonRpcClient rpc, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(5));
        var last = await rpc.GetBlockNumberAsync(cancellationToken); // the blocks before the clock started are not timed
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var block = await rpc.GetBlockNumberAsync(cancellationToken);
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            for (var b = last + 1; b <= block; b++)
            {
                _firstSeen.TryAdd(b, now); // anvil mines one block per transaction: a jump marks every block in it
            }

            last = Math.Max(last, block);
        }
    }
}
