using System.Text.Json;
using System.Text.Json.Serialization;
using Aml.Orleans.Risk;
using Aml.Orleans.Risk.Backtest;
using Spectre.Console;

namespace Aml.Orleans.Cli;

/// <summary><c>aml train</c> (RISK.md, "Command-line contract"); <c>aml backtest</c> is in <see cref="BacktestVerb"/>.</summary>
internal static class RiskVerbs
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static int Train(IReadOnlyList<string> args, TextWriter output)
    {
        var a = new Arguments(args, ["--data", "--out", "--from", "--to", "--trees"], ["--json"]);
        var series = Load(a);
        var from = a.Date("--from") ?? series.Candles[0].OpenTime;
        var to = a.Date("--to") ?? series.Candles[^1].OpenTime;
        var options = new RiskTrainingOptions { Trees = int.TryParse(a.One("--trees") ?? "100", out var trees) && trees > 0 ? trees : throw new UsageException("--trees must be a positive integer") };
        var models = Quietly(a.Has("--json"), $"training {series.Asset}", () => RiskModelSet.Train(series, from, to, options));
        var directory = a.Required("--out");
        models.Save(directory);
        output.WriteLine(a.Has("--json")
            ? JsonSerializer.Serialize(new { asset = series.Asset, modelHash = models.ModelHash, directory, metrics = models.Manifest.Metrics }, Json)
            : $"{series.Asset}: model set {models.ModelHash} written to {directory} ({models.Manifest.Samples} hours, metrics {string.Join(", ", models.Manifest.Metrics.Select(m => $"{m.Key}={m.Value}"))})");
        return 0;
    }

    internal static CandleSeries Load(Arguments a)
    {
        var files = a.All("--data");
        if (files.Count == 0)
        {
            throw new UsageException("--data <csv> is required (repeat it to merge files of one asset)");
        }

        foreach (var file in files.Where(f => !File.Exists(f)))
        {
            throw new UsageException($"--data {file}: no such file");
        }

        return CandleLoader.LoadMerged(files);
    }

    // Long steps show a spinner on a terminal; with --json stdout stays machine-readable.
    internal static T Quietly<T>(bool json, string what, Func<T> work)
    {
        if (json || Console.IsOutputRedirected)
        {
            return work();
        }

        T result = default!;
        AnsiConsole.Status().Start(what + "…", _ => result = work());
        return result;
    }
}
