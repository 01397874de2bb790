using System.Collections.Concurrent;
using Aml.Orleans.Grains.Storage;
using Aml.Orleans.Risk;

namespace Aml.Orleans.Grains.Risk;

/// <summary>
/// The silo's risk engines, one per asset for the set its risk grain serves: every engine worker of the asset on this
/// silo shares it (a model set is megabytes; the engine is thread-safe), loaded once per hash, from the model store
/// when the silo has one, else from the folder the risk grain read it from. The risk grain offers the set it loaded,
/// so a worker beside it loads nothing. Also counts the assessments made here, for the model status.
/// </summary>
internal sealed class ServedEngines(IEnumerable<ModelStoreTable> stores)
{
    private readonly ConcurrentDictionary<string, Served> _byAsset = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _assessments = new(StringComparer.Ordinal);

    /// <summary>The loaded engine of <paramref name="asset"/> when it serves <paramref name="modelHash"/> already, without waiting.</summary>
    public RiskEngine? TryGet(string asset, string modelHash) =>
        _byAsset.TryGetValue(asset, out var served) && served.ModelHash == modelHash && served.Engine.IsCompletedSuccessfully ? served.Engine.Result : null;

    /// <summary>
    /// The engine of <paramref name="asset"/> for <paramref name="modelHash"/>, loading it once (concurrent callers share
    /// the load); null when the set is in neither the store nor <paramref name="directory"/>, with the reason.
    /// </summary>
    public async Task<(RiskEngine? Engine, string? Refusal)> GetAsync(string asset, string modelHash, string? directory)
    {
        if (TryGet(asset, modelHash) is { } ready)
        {
            return (ready, null);
        }

        var served = _byAsset.AddOrUpdate(
            asset,
            _ => new Served(modelHash, LoadAsync(modelHash, directory)),
            (_, current) => current.ModelHash == modelHash && !current.Engine.IsFaulted ? current : new Served(modelHash, LoadAsync(modelHash, directory)));
        try
        {
            return (await served.Engine, null);
        }
        catch (Exception ex) when (ex is InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
        {
            // The load is the boundary with the file system and the store: what they lack becomes the refusal here, once.
            _byAsset.TryRemove(new KeyValuePair<string, Served>(asset, served));
            return (null, ex.Message);
        }
    }

    /// <summary>Serves <paramref name="models"/> for <paramref name="asset"/> on this silo (the risk grain loaded them).</summary>
    public void Offer(string asset, RiskModelSet models)
    {
        ArgumentNullException.ThrowIfNull(models);
        // The engine replaced is not disposed: a worker may be scoring with it this moment; the GC takes it after.
        _byAsset.AddOrUpdate(
            asset,
            _ => new Served(models.ModelHash, Task.FromResult(new RiskEngine(models))),
            (_, current) => current.ModelHash == models.ModelHash && current.Engine.IsCompletedSuccessfully
                ? current
                : new Served(models.ModelHash, Task.FromResult(new RiskEngine(models))));
    }

    /// <summary>Counts <paramref name="count"/> assessments of <paramref name="asset"/> made on this silo.</summary>
    public void Count(string asset, int count) => _assessments.AddOrUpdate(asset, count, (_, n) => n + count);

    /// <summary>How many assessments of <paramref name="asset"/> this silo made since it started.</summary>
    public long Assessments(string asset) => _assessments.TryGetValue(asset, out var n) ? n : 0;

    private async Task<RiskEngine> LoadAsync(string modelHash, string? directory)
    {
        foreach (var store in stores)
        {
            if (await store.LoadAsync(modelHash) is { } stored)
            {
                return new RiskEngine(stored);
            }
        }

        if (directory is null)
        {
            throw new InvalidDataException($"model {modelHash} is not in the model store and no folder holds it");
        }

        // Off the grain's scheduler: reading and checking a set's files takes a while.
        var models = await Task.Run(() => RiskModelSet.Load(directory));
        return models.ModelHash == modelHash
            ? new RiskEngine(models)
            : throw new InvalidDataException($"{directory} now holds model {models.ModelHash}, not the served {modelHash}: the risk grain will say which to serve");
    }

    private sealed record Served(string ModelHash, Task<RiskEngine> Engine);
}
