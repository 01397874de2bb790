using System.Collections.Concurrent;
using Aml.Orleans.Grains.Storage;
using Orleans;
using Orleans.Runtime;

namespace Aml.Orleans.Grains.Tests.Storage;

/// <summary>A test grain whose state lives in the "aml" PostgreSQL storage and which can hold a reminder.</summary>
[Alias("aml.tests.IStorageProbeGrain")]
public interface IStorageProbeGrain : IGrainWithStringKey
{
    /// <summary>Replaces the text and writes the state once.</summary>
    [Alias("Set")]
    Task SetAsync(string text);

    /// <summary>The state as stored.</summary>
    [Alias("Get")]
    Task<StorageProbeState> GetAsync();

    /// <summary>Registers (or updates) the named reminder.</summary>
    [Alias("Remind")]
    Task RemindAsync(string reminderName, TimeSpan dueTime, TimeSpan period);
}

/// <summary>The probe's persisted state.</summary>
[GenerateSerializer, Alias("aml.tests.StorageProbeState")]
public sealed class StorageProbeState
{
    /// <summary>The last text written.</summary>
    [Id(0)]
    public string Text { get; set; } = string.Empty;

    /// <summary>How many writes this state has seen.</summary>
    [Id(1)]
    public int Writes { get; set; }
}

/// <summary>
/// Reminder ticks reported to the test that waits for them. Silos of the in-process test cluster share the test's
/// process, so a static table is the direct way for a grain to tell the test it was woken.
/// </summary>
public static class StorageProbeSignals
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource<TickStatus>> Ticks = new();

    /// <summary>The task completed by the first tick of the reminder of that grain key and name.</summary>
    public static Task<TickStatus> FirstTick(string grainKey, string reminderName) =>
        Ticks.GetOrAdd($"{grainKey}/{reminderName}", _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    internal static void Tick(string grainKey, string reminderName, TickStatus status) =>
        Ticks.GetOrAdd($"{grainKey}/{reminderName}", _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(status);
}

internal sealed class StorageProbeGrain(
    [PersistentState("probe", PostgresSiloBuilderExtensions.StorageName)] IPersistentState<StorageProbeState> state)
    : Grain, IStorageProbeGrain, IRemindable
{
    public async Task SetAsync(string text)
    {
        state.State = new StorageProbeState { Text = text, Writes = state.State.Writes + 1 };
        await state.WriteStateAsync();
    }

    public Task<StorageProbeState> GetAsync() => Task.FromResult(state.State);

    public Task RemindAsync(string reminderName, TimeSpan dueTime, TimeSpan period) =>
        this.RegisterOrUpdateReminder(reminderName, dueTime, period);

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        StorageProbeSignals.Tick(this.GetPrimaryKeyString(), reminderName, status);
        return Task.CompletedTask;
    }
}
