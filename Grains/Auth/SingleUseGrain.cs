using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Auth;

/// <summary>Whether a single-use value was used; persisted so that a restart does not reopen a replay window.</summary>
[GenerateSerializer, Alias("aml.SingleUseState")]
public sealed class SingleUseState
{
    [Id(0)] public DateTimeOffset? UsedAt { get; set; }
}

/// <inheritdoc cref="ISingleUseGrain" />
internal sealed class SingleUseGrain(
    [PersistentState("single-use", "aml")] IPersistentState<SingleUseState> state,
    TimeProvider clock) : Grain, ISingleUseGrain
{
    /// <inheritdoc />
    public async Task<bool> TryConsumeAsync()
    {
        if (state.State.UsedAt is not null)
        {
            return false;
        }

        state.State.UsedAt = clock.GetUtcNow();
        await state.WriteStateAsync();
        return true;
    }

    /// <inheritdoc />
    public Task<bool> IsUsedAsync() => Task.FromResult(state.State.UsedAt is not null);
}
