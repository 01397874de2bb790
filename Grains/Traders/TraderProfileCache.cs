using System.Collections.Concurrent;
using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Traders;

/// <summary>
/// The silo's recent reads of trader profiles, for quotes: a trader asking for quote after quote reads their trader
/// grain once per <c>PositionOptions.QuoteProfileMaxAge</c> instead of once per quote. Bounded: past
/// <see cref="MaxTraders"/> entries it starts over (a cache miss costs one grain read).
/// </summary>
internal sealed class TraderProfileCache(TimeProvider clock)
{
    /// <summary>How many traders' profiles the silo keeps at most.</summary>
    public const int MaxTraders = 100_000;

    private readonly ConcurrentDictionary<string, (TraderProfile Profile, DateTimeOffset ReadAt)> _profiles = new(StringComparer.Ordinal);

    /// <summary>The trader's profile as read at most <paramref name="maxAge"/> ago, reading it through <paramref name="grains"/> when older.</summary>
    public async ValueTask<TraderProfile> GetAsync(IGrainFactory grains, string trader, TimeSpan maxAge)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var now = clock.GetUtcNow();
        if (_profiles.TryGetValue(trader, out var cached) && now - cached.ReadAt <= maxAge)
        {
            return cached.Profile;
        }

        var profile = await grains.GetGrain<ITraderGrain>(trader).GetProfileAsync();
        if (_profiles.Count >= MaxTraders)
        {
            _profiles.Clear();
        }

        _profiles[trader] = (profile, now);
        return profile;
    }
}
