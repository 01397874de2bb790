using System.Collections.Concurrent;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Risk;

namespace Aml.Orleans.Silo.Health;

/// <summary>
/// How each asset's served model set covers the market it prices now: the share of 24 h excursions, over the candles
/// the market grain holds (about 32 days), that stayed inside the leverage quantile, beside the coverage the set was
/// calibrated for. Coverage well below its target means the margins have become too thin for this market (drift).
/// </summary>
internal static class ModelCoverage
{
    // A model set is loaded once per hash: sets are immutable (content-addressed) and loading reads every tree.
    private static readonly ConcurrentDictionary<string, RiskModelSet> Sets = new(StringComparer.Ordinal);

    /// <summary>(coverage, target) per asset; an asset without a model or without 24 h of candles after the warm-up is left out.</summary>
    /// <remarks>A set promoted from the model store (by the trainer, after its shadow run) has no directory: it is read from <paramref name="store"/> by hash.</remarks>
    public static async Task<Dictionary<string, (double Coverage, double Target)>> MeasureAsync(
        IGrainFactory grains, IEnumerable<string> assets, Grains.Storage.ModelStoreTable? store = null)
    {
        var result = new Dictionary<string, (double, double)>(StringComparer.Ordinal);
        foreach (var asset in assets)
        {
            var model = await grains.GetGrain<IRiskGrain>(asset).GetModelAsync();
            var candles = await grains.GetGrain<IMarketGrain>(asset).GetCandlesAsync(int.MaxValue);
            if (string.IsNullOrEmpty(model.Directory) || candles.Count < FeatureWindow.WarmUp + 48)
            {
                continue;
            }

            if (!Sets.TryGetValue(model.ModelHash, out var set))
            {
                set = (store is null ? null : await store.LoadAsync(model.ModelHash)) ?? RiskModelSet.Load(model.Directory);
                Sets[model.ModelHash] = set;
            }

            var series = new CandleSeries(asset, TimeSpan.FromHours(1), candles.Select(c => c.ToRiskCandle()).ToList(), []);
            var evaluation = await Task.Run(() => set.Evaluate(series, candles[FeatureWindow.WarmUp].OpenTime, candles[^1].OpenTime));
            result[asset] = (evaluation.Coverage, set.Manifest.LeverageCoverage);
        }

        return result;
    }
}
