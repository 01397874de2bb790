using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Interfaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aml.Orleans.Grains.Chain;

/// <summary>The indexer's durable cursor: the first block not yet read.</summary>
[GenerateSerializer, Alias("aml.ChainIndexerState")]
public sealed class ChainIndexerState
{
    [Id(0)] public ulong NextBlock { get; set; }
    [Id(1)] public long EventsDelivered { get; set; }
}

/// <summary>
/// Reads the contract's logs block range by block range and hands position events to their grains, so that grain
/// state follows the chain whoever changed it (the oracle, a trader's top-up or close, the guardian). The cursor
/// advances only after a range is delivered: a crash replays a range, which the positions apply idempotently.
/// A reminder brings the indexer back after a crash; a grain timer does the polling. Its first pass (no cursor yet) is
/// <see cref="ChainFirstSync"/>: positions open at the head are delivered in bulk, not event by event.
/// </summary>
internal sealed partial class ChainIndexerGrain(
    [PersistentState("indexer", "aml")] IPersistentState<ChainIndexerState> state,
    ChainContext chain,
    ChainEventRelay relay,
    ChainFirstSync firstSync,
    IOptions<OracleOptions> options,
    ILogger<ChainIndexerGrain> logger) : Grain, IChainIndexerGrain, IRemindable
{
    private IGrainTimer? _poll;

    /// <inheritdoc />
    public async Task EnsureRunningAsync()
    {
        await this.RegisterOrUpdateReminder("indexer-keepalive", TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        StartPolling();
    }

    /// <inheritdoc />
    public Task<ulong> GetNextBlockAsync() => Task.FromResult(state.State.NextBlock);

    /// <inheritdoc />
    public async Task<int> PollAsync() => await ReadNewLogsAsync(CancellationToken.None);

    /// <inheritdoc />
    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        StartPolling();
        return Task.CompletedTask;
    }

    private void StartPolling() =>
        _poll ??= this.RegisterGrainTimer(PollTickAsync, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.Zero,
            Period = options.Value.PollInterval,
            Interleave = false,
            KeepAlive = true,
        });

    private async Task PollTickAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ReadNewLogsAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is JsonRpcException or HttpRequestException or TimeoutException or TaskCanceledException)
        {
            LogUnavailable(ex.Message); // the cursor did not move: the next tick reads the same range again
        }
    }

    private async Task<int> ReadNewLogsAsync(CancellationToken cancellationToken)
    {
        var head = await chain.Rpc.GetBlockNumberAsync(cancellationToken);
        var delivered = 0;
        if (state.State.NextBlock == 0 && head >= chain.Deployment.DeployBlock)
        {
            // The cursor moves only once the whole first pass is delivered: a crash runs it again, which seeds nothing twice.
            var (seeded, events) = await firstSync.RunAsync(chain.Deployment.DeployBlock, head, cancellationToken);
            LogFirstSync(seeded, events, head);
            delivered = seeded + events;
            state.State.NextBlock = head + 1;
            state.State.EventsDelivered += events;
            await state.WriteStateAsync();
            return delivered;
        }

        if (state.State.NextBlock == 0)
        {
            state.State.NextBlock = chain.Deployment.DeployBlock;
        }

        while (state.State.NextBlock <= head)
        {
            var to = Math.Min(head, state.State.NextBlock + options.Value.MaxLogRange - 1);
            var logs = await chain.Rpc.GetLogsAsync(
                new LogFilter(chain.Contract.Contract, FromBlock: Quantity.Encode(state.State.NextBlock), ToBlock: Quantity.Encode(to)),
                cancellationToken);
            var inRange = await relay.DeliverAsync(logs, awaitDelivery: true, cancellationToken: cancellationToken);
            delivered += inRange;
            state.State.NextBlock = to + 1;
            state.State.EventsDelivered += inRange;
            await state.WriteStateAsync();
        }

        return delivered;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Chain indexer's first sync to block {Head}: {Seeded} open positions seeded in bulk, {Events} events delivered")]
    private partial void LogFirstSync(int seeded, int events, ulong head);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chain indexer cannot read logs, retrying: {Reason}")]
    private partial void LogUnavailable(string reason);
}
