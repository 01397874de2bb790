using Aml.Orleans.Risk.Backtest;

namespace Aml.Orleans.Cli;

/// <summary>
/// The backtest's PNG charts (RISK.md <c>--plot</c>): price with each policy's cap, the frontiers, aml's calibration
/// per side, liquidations and bad debt per policy.
/// </summary>
internal static class Charts
{
    public static void Write(BacktestResult result, string directory)
    {
        Directory.CreateDirectory(directory);
        Caps(result, Path.Combine(directory, "caps.png"));
        Frontiers(result, Path.Combine(directory, "frontier.png"));
        foreach (var isLong in (bool[])[true, false])
        {
            Calibration(result, isLong, Path.Combine(directory, isLong ? "calibration-long.png" : "calibration-short.png"));
        }

        Bars(result, "liquidation rate per policy (%)", p => p.Metrics.LiquidationRate * 100, Path.Combine(directory, "liquidations.png"));
        Bars(result, "bad debt per policy (bps of collateral)", p => p.Metrics.BadDebtBps, Path.Combine(directory, "bad-debt.png"));
    }

    private static void Caps(BacktestResult result, string file)
    {
        var times = result.Points.Select(p => p.Time.UtcDateTime.ToOADate()).ToArray();
        var plot = new ScottPlot.Plot();
        plot.Add.Scatter(times, result.Points.Select(p => p.Close).ToArray()).LegendText = "close";
        plot.Axes.DateTimeTicksBottom();
        var right = plot.Axes.AddRightAxis();
        foreach (var (name, values) in new[]
                 {
                     ("static cap", result.Points.Select(p => p.StaticCap)), ("volscaled cap", result.Points.Select(p => p.VolScaledCap)),
                     ("aml cap", result.Points.Select(p => p.AmlCap)),
                 })
        {
            var series = plot.Add.Scatter(times, values.ToArray());
            series.LegendText = name;
            series.Axes.YAxis = right;
        }

        plot.Title($"{result.Asset}: price and each policy's leverage cap (long)");
        plot.ShowLegend();
        plot.SavePng(file, 1400, 600);
    }

    private static void Frontiers(BacktestResult result, string file)
    {
        var plot = new ScottPlot.Plot();
        var right = plot.Axes.AddRightAxis();
        foreach (var policy in result.Policies)
        {
            var sorted = policy.Frontier.OrderBy(p => p.MeanLeverage).ToArray();
            var x = sorted.Select(p => p.MeanLeverage).ToArray();
            var rate = plot.Add.Scatter(x, sorted.Select(p => p.LiquidationRate * 100).ToArray());
            rate.LegendText = $"{policy.Policy}: liquidation rate (%)";
            var debt = plot.Add.Scatter(x, sorted.Select(p => p.BadDebtBps).ToArray());
            debt.LegendText = $"{policy.Policy}: bad debt (bps, right)";
            debt.LinePattern = ScottPlot.LinePattern.Dashed;
            debt.Color = rate.Color;
            debt.Axes.YAxis = right;
        }

        if (result.Comparison is { } c)
        {
            plot.Add.VerticalLine(c.AtMeanLeverage).LegendText = "aml's mean leverage";
        }

        plot.Title($"{result.Asset}: frontiers (each policy's knob swept)");
        plot.XLabel("mean leverage");
        plot.YLabel("liquidation rate (%)");
        plot.ShowLegend();
        plot.SavePng(file, 1100, 700);
    }

    private static void Calibration(BacktestResult result, bool isLong, string file)
    {
        var side = isLong ? "long" : "short";
        var predicted = result.Points.Select(p => isLong ? p.AmlQuantileLong : p.AmlQuantileShort).ToArray();
        var realized = result.Points.Select(p => isLong ? p.RealizedLong : p.RealizedShort).ToArray();
        var plot = new ScottPlot.Plot();
        plot.Add.ScatterPoints(predicted, realized);
        var top = Math.Max(0.01, predicted.Concat(realized).Where(double.IsFinite).DefaultIfEmpty(0.01).Max());
        plot.Add.Line(0, 0, top, top);
        var covered = predicted.Zip(realized).Count(p => p.Second <= p.First) / (double)Math.Max(1, predicted.Length);
        plot.Title($"aml, {side}s: 24 h excursion quantile implied by the cap vs realized ({covered:P1} below the line)");
        plot.XLabel("predicted quantile (1/cap − margin)");
        plot.YLabel("realized max adverse excursion");
        plot.SavePng(file, 900, 700);
    }

    private static void Bars(BacktestResult result, string title, Func<PolicyResult, double> value, string file)
    {
        var plot = new ScottPlot.Plot();
        plot.Add.Bars(result.Policies.Select(value).ToArray());
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, result.Policies.Count).Select(i => (double)i).ToArray(), result.Policies.Select(p => p.Policy).ToArray());
        plot.Title(title);
        plot.SavePng(file, 700, 500);
    }
}
