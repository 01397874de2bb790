using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Storage;
using Aml.Orleans.Grains.Telemetry;
using Microsoft.Extensions.Logging;

namespace Aml.Orleans.Grains.Risk;

/// <summary>
/// The risk grain's part in the learning loop: the shadow challenger it runs (<see cref="ShadowScorer"/>) and the drift
/// watch on its champion (<see cref="DriftWatch"/>, whose fallback flags travel in <see cref="RiskServing"/> to the
/// engine workers, which price a side in fallback within <see cref="ConservativePolicy"/>'s bounds). The outcome grain calls
/// <see cref="ReviewOutcomesAsync"/> after each maturing.
/// </summary>
internal sealed partial class RiskGrain
{
    /// <inheritdoc />
    public async Task StartShadowAsync(string challengerHash)
    {
        ModelStoreTable.ParseHash(challengerHash);
        var store = stores.FirstOrDefault() ?? throw new InvalidOperationException("challengerHash: this silo has no model store (PostgreSQL) to load a challenger from");
        var shadowStore = shadows.FirstOrDefault() ?? throw new InvalidOperationException("challengerHash: this silo has no shadow store (PostgreSQL)");
        if ((await ServedModelsAsync()).ModelHash == challengerHash)
        {
            throw new ArgumentException($"challengerHash: {challengerHash} is the set {Asset} serves, not a challenger", nameof(challengerHash));
        }

        var models = await store.LoadAsync(challengerHash)
                     ?? throw new ArgumentException($"challengerHash: {challengerHash} is not in the model store", nameof(challengerHash));
        if (!models.Manifest.Prices(Asset))
        {
            throw new ArgumentException($"challengerHash: {challengerHash} is a per-asset model set for {models.Manifest.Asset}, not {Asset}", nameof(challengerHash));
        }

        var since = await shadowStore.NowAsync();
        _shadow?.Dispose();
        _shadow = new ShadowScorer(models, since, shadowStore, clock);
        state.State.ShadowHash = challengerHash;
        state.State.ShadowSince = since;
        await state.WriteStateAsync();
        LogShadow(Asset, challengerHash, "starts scoring every decision in shadow");
    }

    /// <inheritdoc />
    public async Task StopShadowAsync()
    {
        if (state.State.ShadowHash is { } hash)
        {
            _shadow?.Dispose();
            _shadow = null;
            state.State.ShadowHash = null;
            await state.WriteStateAsync();
            LogShadow(Asset, hash, "leaves the shadow");
        }
    }

    /// <inheritdoc />
    public async Task<DriftStatus> ReviewOutcomesAsync()
    {
        var served = await ServedModelsAsync();
        if (await ShadowAsync() is { } shadow)
        {
            await shadow.ScoreNewAsync(Asset);
        }

        if (outcomes.FirstOrDefault() is { } store)
        {
            var moved = false;
            foreach (var isLong in (bool[])[true, false])
            {
                var (matured, covered) = await store.RecentCoverageAsync(Asset, served.ModelHash, isLong, options.Value.DriftWindow);
                var (side, changed) = _drift.Observe(isLong, matured, covered);
                if (changed)
                {
                    moved = true;
                    LogDrift(Asset, isLong ? "long" : "short", side.Coverage ?? double.NaN, side.Matured,
                        side.Fallback ? "falls back to the conservative policy" : "returns to the model's terms");
                }
            }

            if (moved)
            {
                (state.State.LongFallback, state.State.ShortFallback) = _drift.Fallback;
                await state.WriteStateAsync();
                _serving = null; // the workers price the side by its new bounds from their next call on
            }
        }

        var status = _drift.Status(Asset, served.ModelHash);
        EngineTelemetry.Drift(_drift, status);
        return status;
    }

    /// <inheritdoc />
    public async Task<DriftStatus> GetDriftAsync() => _drift.Status(Asset, (await ServedModelsAsync()).ModelHash);

    // The shadow challenger, loaded from the store again after a re-activation.
    private async Task<ShadowScorer?> ShadowAsync()
    {
        if (_shadow is not null || state.State.ShadowHash is not { } hash)
        {
            return _shadow;
        }

        if (stores.FirstOrDefault() is { } store && shadows.FirstOrDefault() is { } shadowStore && await store.LoadAsync(hash) is { } models)
        {
            _shadow = new ShadowScorer(models, state.State.ShadowSince, shadowStore, clock);
        }

        return _shadow;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Risk {Asset}: challenger {ModelHash} {What}")]
    private partial void LogShadow(string asset, string modelHash, string what);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Risk {Asset} {Side}: live coverage {Coverage:P1} over the last {Matured} matured decisions; the side {What}")]
    private partial void LogDrift(string asset, string side, double coverage, int matured, string what);
}
