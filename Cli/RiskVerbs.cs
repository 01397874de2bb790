using System.Text.Json;
using System.Text.Json.Serialization;
using Aml.Orleans.Risk;
using Aml.Orleans.Risk.Backtest;
using Spectre.Console;

namespace Aml.Orleans.Cli;

/// <summary><c>aml backtest</c> (RISK.md, "Command-line contract"); <c>aml train</c> is <see cref="TrainVerb"/>.</summary>
internal static class RiskVerbs
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>
    /// The markets' on-chain bounds as <c>./aml deploy</c> lists them (scripts/verbs/deploy.sh): leverage, margin range
    /// and the liquidation penalty that the threshold model adds as the fee.
    /// </summary>
    public static MarketBounds BoundsOf(string asset) => asset switch
    {
        "BTC-USD" or "ETH-USD" => new MarketBounds(100, 5_000, 50, 2_500, 100),
        "SOL-USD" => new MarketBounds(100, 2_500, 100, 2_500, 150),
        "DOGE-USD" => new MarketBounds(100, 1_000, 200, 2_500, 200),
        _ => throw new UsageException($"--data: no market bounds for {asset} (listed: BTC-USD, ETH-USD, SOL-USD, DOGE-USD)"),
    };

    public static int Backtest(IReadOnlyList<string> args, TextWriter output)
    {
        var a = new Arguments(args, ["--data", "--from", "--to", "--models", "--policy", "--plot", "--trees"], ["--json"]);
        var json = a.Has("--json");
        var series = Load(a);
        var to = a.Date("--to") ?? series.Candles[^1].OpenTime;
        var from = a.Date("--from") ?? to.AddYears(-1);
        if (from >= to)
        {
            throw new UsageException($"--from {from:yyyy-MM-dd} must be before --to {to:yyyy-MM-dd}");
        }

        var policies = (a.One("--policy") ?? "all") switch
        {
            "all" => new[] { Policy.Static, Policy.VolScaled, Policy.Aml },
            "static" => [Policy.Static],
            "volscaled" => [Policy.VolScaled],
            "aml" => [Policy.Aml],
            var other => throw new UsageException($"--policy '{other}' is not one of static, volscaled, aml, all"),
        };
        RiskModelSet? models = null;
        if (policies.Contains(Policy.Aml))
        {
            var trees = int.TryParse(a.One("--trees") ?? "100", out var t) && t > 0 ? t : throw new UsageException("--trees must be a positive integer");
            // Without --models the set is trained strictly before the window, so the backtest never sees its own data.
            models = a.One("--models") is { } directory
                ? RiskModelSet.Load(directory)
                : Quietly(json, $"training {series.Asset} before {from:yyyy-MM-dd}", () => RiskModelSet.Train(series, series.Candles[0].OpenTime, from, new RiskTrainingOptions { Trees = trees }));
        }

        var result = Quietly(json, $"backtesting {series.Asset} {from:yyyy-MM-dd}..{to:yyyy-MM-dd}",
            () => Backtester.Run(series, from, to, models, BoundsOf(series.Asset), policies));
        if (a.One("--plot") is { } plotDirectory)
        {
            Charts.Write(result, plotDirectory);
        }

        if (!json)
        {
            var table = new Table().AddColumns("policy", "positions", "liquidation rate", "bad debt (bps)", "mean leverage", "coverage", "worst loss (bps)");
            foreach (var p in result.Policies)
            {
                table.AddRow(p.Policy, $"{p.Positions}", $"{p.LiquidationRate:P2}", $"{p.BadDebtBps:F2}", $"{p.MeanLeverage:F2}", $"{p.Coverage:P1}", $"{p.WorstLossBps:F0}");
            }

            AnsiConsole.Write(table);
        }

        output.WriteLine(JsonSerializer.Serialize(new
        {
            asset = result.Asset,
            from = result.From.ToString("O"),
            to = result.To.ToString("O"),
            modelHash = result.ModelHash,
            policies = result.Policies,
        }, Json));
        return 0;
    }

    private static CandleSeries Load(Arguments a)
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
