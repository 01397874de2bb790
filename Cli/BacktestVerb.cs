using System.Text.Json;
using Aml.Orleans.Risk;
using Aml.Orleans.Risk.Backtest;
using Spectre.Console;

namespace Aml.Orleans.Cli;

/// <summary><c>aml backtest</c> (RISK.md, "Command-line contract").</summary>
internal static class BacktestVerb
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>
    /// The markets' on-chain bounds as <c>./aml deploy</c> lists them (scripts/verbs/deploy.sh): leverage, margin range
    /// and the liquidation penalty that the threshold model adds as the fee. Null for an asset not listed.
    /// </summary>
    public static MarketBounds? BoundsOf(string asset) => asset switch
    {
        "BTC-USD" or "ETH-USD" => new MarketBounds(100, 5_000, 50, 2_500, 100),
        "SOL-USD" => new MarketBounds(100, 2_500, 100, 2_500, 150),
        "DOGE-USD" => new MarketBounds(100, 1_000, 200, 2_500, 200),
        _ => null,
    };

    public static int Backtest(IReadOnlyList<string> args, TextWriter output)
    {
        var a = new Arguments(args, ["--data", "--from", "--to", "--models", "--policy", "--plot", "--trees", "--margin-coverage", "--forgetting"], ["--json"]);
        var json = a.Has("--json");
        var (hourly, fine) = Load(a.All("--data"));
        var to = a.Date("--to") ?? hourly.Candles[^1].OpenTime;
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
        var trees = int.TryParse(a.One("--trees") ?? "40", out var t) && t > 0 ? t : throw new UsageException("--trees must be a positive integer");
        double? marginCoverage = a.One("--margin-coverage") is not { } text ? null
            : double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var c) && c is > 0 and < 1 ? c
            : throw new UsageException($"--margin-coverage '{text}' must be a fraction in (0, 1), e.g. 0.9");
        var forgetting = a.One("--forgetting") is not { } rho ? 0
            : double.TryParse(rho, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var r) && r is >= 0 and <= 1 ? r
            : throw new UsageException($"--forgetting '{rho}' must be a fraction in [0, 1], e.g. 0.05");
        // Without --models, aml is retrained walk-forward strictly before each segment, so it never sees what it prices.
        var models = policies.Contains(Policy.Aml) && a.One("--models") is { } directory ? RiskModelSet.Load(directory) : null;
        var bounds = BoundsOf(hourly.Asset) ?? AmlPolicy.DeriveBounds(hourly, from);
        var tape = new MarketTape(hourly, fine);
        var result = RiskVerbs.Quietly(json, $"backtesting {hourly.Asset} {from:yyyy-MM-dd}..{to:yyyy-MM-dd}",
            () => Backtester.Run(tape, hourly, from, to, bounds, models, new BacktestOptions { Policies = policies, Trees = trees, MarginCoverage = marginCoverage, Forgetting = forgetting }));
        if (a.One("--plot") is { } plotDirectory)
        {
            Charts.Write(result, plotDirectory);
        }

        if (!json)
        {
            WriteTable(result);
        }

        output.WriteLine(JsonSerializer.Serialize(ToJson(result), Json));
        return 0;
    }

    /// <summary>The JSON object of RISK.md's contract.</summary>
    internal static object ToJson(BacktestResult result) => new
    {
        asset = result.Asset,
        from = result.From.ToString("O"),
        to = result.To.ToString("O"),
        modelHash = result.ModelHash,
        models = result.Models,
        fineHours = result.FineHours,
        policies = result.Policies.Select(p => new
        {
            policy = p.Policy,
            knob = p.Knob,
            positions = p.Metrics.Positions,
            liquidationRate = p.Metrics.LiquidationRate,
            liquidationRateAtCap = p.Metrics.LiquidationRateAtCap,
            badDebtBps = p.Metrics.BadDebtBps,
            badDebtP99Bps = p.Metrics.BadDebtP99Bps,
            meanLeverage = p.Metrics.MeanLeverage,
            coverage = p.Metrics.Coverage,
            coverageLong = p.Metrics.CoverageLong,
            coverageShort = p.Metrics.CoverageShort,
            worstLossBps = p.Metrics.WorstLossBps,
            pinballLoss = p.Metrics.PinballLoss,
            pinballLossInterval = new[] { p.Metrics.PinballLossLow, p.Metrics.PinballLossHigh },
            meanMargin = p.Metrics.MeanMargin,
            liquidationRateBelowCap = p.Metrics.LiquidationRateBelowCap,
            frontier = p.Frontier,
        }),
        comparison = result.Comparison is { } c
            ? new { atMeanLeverage = c.AtMeanLeverage, aml = c.Aml, volscaled = c.VolScaled, @static = c.Static }
            : null,
    };

    private static void WriteTable(BacktestResult result)
    {
        var table = new Table().AddColumns(
            "policy", "knob", "positions", "liquidation rate", "at cap", "bad debt (bps)", "p99 (bps)", "mean leverage", "coverage long/short", "worst day (bps)", "pinball");
        foreach (var p in result.Policies)
        {
            var m = p.Metrics;
            table.AddRow(p.Policy, $"{p.Knob}", $"{m.Positions}", $"{m.LiquidationRate:P2}", $"{m.LiquidationRateAtCap:P2}", $"{m.BadDebtBps:F2}", $"{m.BadDebtP99Bps:F0}",
                $"{m.MeanLeverage:F2}", $"{m.CoverageLong:P1} / {m.CoverageShort:P1}", $"{m.WorstLossBps:F1}", $"{m.PinballLoss:F5}");
        }

        AnsiConsole.Write(table);
        if (result.Comparison is { } c)
        {
            AnsiConsole.WriteLine($"at aml's mean leverage {c.AtMeanLeverage:F2}: aml {c.Aml.LiquidationRate:P2} / {c.Aml.BadDebtBps:F2} bps" +
                (c.VolScaled is { } v ? $", volscaled {v.LiquidationRate:P2} / {v.BadDebtBps:F2} bps" : "") +
                (c.Static is { } s ? $", static {s.LiquidationRate:P2} / {s.BadDebtBps:F2} bps" : ""));
        }
    }

    // Several files of one asset: the hourly ones are merged into the series everything is priced on, finer ones
    // (e.g. BTCUSDT-5m.csv) refine the hours they cover.
    private static (CandleSeries Hourly, CandleSeries? Fine) Load(IReadOnlyList<string> files)
    {
        if (files.Count == 0)
        {
            throw new UsageException("--data <csv> is required (repeat it to merge files of one asset)");
        }

        foreach (var file in files.Where(f => !File.Exists(f)))
        {
            throw new UsageException($"--data {file}: no such file");
        }

        var byInterval = files.Select(f => (File: f, Series: CandleLoader.Load(f))).GroupBy(x => x.Series.Interval).ToList();
        CandleSeries? Merged(IGrouping<TimeSpan, (string File, CandleSeries Series)>? group) =>
            group is null ? null : group.Count() == 1 ? group.First().Series : CandleLoader.LoadMerged(group.Select(x => x.File).ToArray());
        var hourly = Merged(byInterval.FirstOrDefault(g => g.Key == TimeSpan.FromHours(1)))
                     ?? throw new UsageException("--data: an hourly file is needed (finer files only refine the hours they cover)");
        var finer = byInterval.Where(g => g.Key < TimeSpan.FromHours(1)).ToList();
        if (byInterval.Any(g => g.Key > TimeSpan.FromHours(1)) || finer.Count > 1)
        {
            throw new UsageException($"--data: give hourly files and at most one finer interval, got {string.Join(", ", byInterval.Select(g => g.Key))}");
        }

        return (hourly, Merged(finer.FirstOrDefault()));
    }
}
