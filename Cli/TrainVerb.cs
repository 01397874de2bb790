using System.Text.Json;
using Aml.Orleans.Risk;

namespace Aml.Orleans.Cli;

/// <summary>
/// <c>aml train --data &lt;csv&gt; [--data &lt;csv&gt;]... [--from &lt;date&gt;] [--to &lt;date&gt;] --out &lt;dir&gt;</c> (RISK.md):
/// files of one asset are merged; files of several assets make a pooled set. <c>--to</c> trains on data before it.
/// <c>--publish</c> also writes the set to the model store in PostgreSQL (<c>--postgres</c>, else
/// <c>ConnectionStrings__Postgres</c>), where every silo loads models by hash; publishing the same hash twice is one row.
/// </summary>
internal static class TrainVerb
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static int Run(IReadOnlyList<string> args, TextWriter output)
    {
        var a = new Arguments(args, ["--data", "--out", "--from", "--to", "--trees", "--postgres"], ["--json", "--publish"]);
        var directory = a.Required("--out");
        var postgres = a.Has("--publish") ? ModelStoreConnection.Resolve(a.One("--postgres")) : null;
        var series = LoadAssets(a.All("--data"));
        var to = a.Date("--to") ?? series.Max(s => s.Candles[^1].OpenTime);
        var from = a.Date("--from") ?? series.Min(s => s.Candles[0].OpenTime);
        if (from >= to)
        {
            throw new UsageException($"--from {from:yyyy-MM-dd} must be before --to {to:yyyy-MM-dd}");
        }

        var trees = int.TryParse(a.One("--trees") ?? "100", out var t) && t > 0 ? t : throw new UsageException("--trees must be a positive integer");
        var names = string.Join(", ", series.Select(s => s.Asset));
        var models = RiskVerbs.Quietly(a.Has("--json"), $"training {names} before {to:yyyy-MM-dd}",
            () => RiskModelSet.Train(series, from, to, new RiskTrainingOptions { Trees = trees }));
        models.Save(directory);
        bool? published = postgres is null ? null : ModelStoreConnection.PublishAsync(postgres, models).GetAwaiter().GetResult();
        var manifest = models.Manifest;
        output.WriteLine(a.Has("--json")
            ? JsonSerializer.Serialize(new
            {
                asset = manifest.Asset, assets = manifest.Assets, pooled = manifest.Pooled, modelHash = models.ModelHash, directory,
                trainedFrom = manifest.TrainedFrom.ToString("O"), trainedTo = manifest.TrainedTo.ToString("O"), metrics = manifest.Metrics,
                published = published switch { true => "stored", false => "already stored", null => "not published" },
            }, Json)
            : $"{names}{(manifest.Pooled ? " (pooled)" : "")}: model set {models.ModelHash} written to {directory} " +
              $"({manifest.Samples} hours {manifest.TrainedFrom:yyyy-MM-dd}..{manifest.TrainedTo:yyyy-MM-dd}; validation " +
              $"{string.Join(", ", manifest.Metrics.Select(m => $"{m.Key}={m.Value}"))})" +
              published switch { true => "; published to the model store", false => "; already in the model store", null => "" });
        return 0;
    }

    /// <summary>One series per asset: the files of each asset merged in time order.</summary>
    private static List<CandleSeries> LoadAssets(IReadOnlyList<string> files)
    {
        if (files.Count == 0)
        {
            throw new UsageException("--data <csv> is required (repeat it: files of one asset are merged, several assets make a pooled set)");
        }

        foreach (var file in files.Where(f => !File.Exists(f)))
        {
            throw new UsageException($"--data {file}: no such file");
        }

        return files.GroupBy(f => CandleLoader.AssetFromFileName(f), StringComparer.Ordinal)
            .Select(g => CandleLoader.LoadMerged(g.ToList()))
            .ToList();
    }
}
