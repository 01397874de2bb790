using Aml.Orleans.Risk.Backtest;

namespace Aml.Orleans.Cli;

/// <summary>The backtest's PNG charts: caps over price, calibration, liquidations per policy.</summary>
internal static class Charts
{
    public static void Write(BacktestResult result, string directory)
    {
        Directory.CreateDirectory(directory);
        var times = result.Points.Select(p => p.Time.UtcDateTime.ToOADate()).ToArray();

        var caps = new ScottPlot.Plot();
        caps.Add.Scatter(times, result.Points.Select(p => p.Close).ToArray()).LegendText = "close";
        caps.Axes.DateTimeTicksBottom();
        var right = caps.Axes.AddRightAxis();
        foreach (var (name, values) in new[]
                 {
                     ("static cap", result.Points.Select(p => p.StaticCap)), ("volscaled cap", result.Points.Select(p => p.VolScaledCap)),
                     ("aml cap", result.Points.Select(p => p.AmlCap)),
                 })
        {
            var series = caps.Add.Scatter(times, values.ToArray());
            series.LegendText = name;
            series.Axes.YAxis = right;
        }

        caps.Title($"{result.Asset}: price and each policy's leverage cap");
        caps.ShowLegend();
        caps.SavePng(Path.Combine(directory, "caps.png"), 1400, 600);

        var calibration = new ScottPlot.Plot();
        calibration.Add.ScatterPoints(result.Points.Select(p => p.AmlQuantile).ToArray(), result.Points.Select(p => p.RealizedExcursion).ToArray());
        calibration.Add.Line(0, 0, 0.3, 0.3);
        calibration.Title("aml: predicted 24 h excursion quantile vs realized (points below the line are covered)");
        calibration.XLabel("predicted quantile");
        calibration.YLabel("realized max adverse excursion");
        calibration.SavePng(Path.Combine(directory, "calibration.png"), 900, 700);

        var liquidations = new ScottPlot.Plot();
        liquidations.Add.Bars(result.Policies.Select(p => p.LiquidationRate * 100).ToArray());
        liquidations.Axes.Bottom.SetTicks(Enumerable.Range(0, result.Policies.Count).Select(i => (double)i).ToArray(), result.Policies.Select(p => p.Policy).ToArray());
        liquidations.Title("liquidation rate per policy (%)");
        liquidations.SavePng(Path.Combine(directory, "liquidations.png"), 700, 500);
    }
}
