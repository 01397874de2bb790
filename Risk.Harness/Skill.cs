namespace Aml.Orleans.Risk.Harness;

/// <summary>
/// D4: forecasting skill for the next 24 h realized σ at the decision points of a window, every candidate
/// walk-forward (see experiments.md, D4): out-of-sample R² of log σ_next, QLIKE, Spearman, and the implied w — the
/// weight of D3's foresight blend w·σ_next + (1 − w)·σ_24h whose log correlates with log σ_next as well as the
/// candidate does.
/// </summary>
internal static class Skill
{
    private static readonly string[] Har = ["s1", "s4", "s24", "s7d", "s30d"];
    private static readonly string[] HarRange = [.. Har, "pk24", "gk24", "rs24"];
    private static readonly string[] HarAll = [.. HarRange, "weekend", "quote_shock", "trade_shock", "trade_absent", "down24", "garch"];

    /// <summary>Every D4 candidate's forecast at the window's decision hours that have 30 days of contiguous history.</summary>
    public static (VolatilityHours Hours, List<int> Priced, List<VolatilityForecast> Forecasts) Candidates(Market market, string root)
    {
        var hours = VolatilityHours.Build(market.Tape.Hourly, market.Tape.Contiguous);
        Garch.AddTo(hours, market.Tape.Hourly);
        // D5's cross asset: BTC for the others, ETH for BTC.
        var crossTape = new Backtest.MarketTape(CandleLoader.Load(Path.Combine(root, "data", "market", $"{(market.Asset == "BTC" ? "ETH" : "BTC")}USDT-1h.csv")));
        hours.AddCrossAsset(market.Tape.Hourly, VolatilityHours.Build(crossTape.Hourly, crossTape.Contiguous), crossTape.Hourly);
        var priced = market.Points.Select(p => p.Hour).Where(t => hours.Usable[t]).ToList();
        var raw = new VolatilityForecast("s24", priced.ToDictionary(t => t, t => (hours["s24"][t], 0.0)));
        var garch = new VolatilityForecast("garch", priced.ToDictionary(t => t, t => (hours["garch"][t], 0.0)));
        return (hours, priced,
        [
            raw,
            LinearForecast.Fit("s24fit", hours, priced, ["s24"]),
            garch,
            LinearForecast.Fit("har", hours, priced, Har),
            LinearForecast.Fit("har+range", hours, priced, HarRange),
            LinearForecast.Fit("har+all", hours, priced, HarAll),
            TreeForecast.Fit(hours, priced),
            LinearForecast.Fit("har+all+x", hours, priced, [.. HarAll, .. VolatilityHours.CrossNames.Select(n => "x_" + n)]),
        ]);
    }

    /// <summary>Which of har+all's additions carry its skill: each added to har alone, and each left out of har+all.</summary>
    public static List<VolatilityForecast> Ablations(VolatilityHours hours, List<int> priced)
    {
        (string Name, string[] Regressors)[] groups =
        [
            ("weekend", ["weekend"]), ("volume", ["quote_shock", "trade_shock", "trade_absent"]), ("down24", ["down24"]), ("garch", ["garch"]),
        ];
        return
        [
            .. groups.Select(g => LinearForecast.Fit($"har+{g.Name}", hours, priced, [.. Har, .. g.Regressors])),
            .. groups.Select(g => LinearForecast.Fit($"all-{g.Name}", hours, priced, [.. HarAll.Except(g.Regressors)])),
        ];
    }

    public static void Report(Market market, string root, bool ablate)
    {
        var (hours, priced, forecasts) = Candidates(market, root);
        if (ablate)
        {
            forecasts = [.. forecasts.Where(f => f.Name is "har" or "har+all"), .. Ablations(hours, priced)];
        }

        var y = priced.Select(t => Math.Log(hours.Target[t])).ToArray();
        var past = priced.Select(t => Math.Exp(hours["s24"][t])).ToArray();
        var next = priced.Select(t => hours.Target[t]).ToArray();
        // D3's blend: the correlation its log reaches at each w (monotone in w on every asset seen), for the implied w.
        var blend = Enumerable.Range(0, 201).Select(i => i / 200.0)
            .Select(w => (W: w, Correlation: Pearson([.. next.Select((n, i) => Math.Log((w * n) + ((1 - w) * past[i])))], y))).ToList();
        Console.WriteLine($"{market.Asset} D4 skill, {priced.Count} of {market.Points.Count} decision hours (those with 30 contiguous days before), target log σ_next 24 h");
        Console.WriteLine($"  {"forecast",-10} {"R²",7} {"QLIKE",7} {"Pearson",8} {"Spearman",8} {"implied w",9}");
        foreach (var f in forecasts)
        {
            var yhat = priced.Select(t => f.ByHour[t].LogSigma).ToArray();
            var mean = y.Average();
            var r2 = 1 - (y.Zip(yhat, (a, b) => (a - b) * (a - b)).Sum() / y.Sum(a => (a - mean) * (a - mean)));
            var qlike = priced.Select((t, i) =>
            {
                var ratio = next[i] * next[i] / Math.Exp((2 * yhat[i]) + (2 * f.ByHour[t].ResidualVariance));
                return ratio - Math.Log(ratio) - 1;
            }).Average();
            var pearson = Pearson(yhat, y);
            var implied = blend.FirstOrDefault(b => b.Correlation >= pearson).W;
            Console.WriteLine($"  {f.Name,-10} {r2,7:F3} {qlike,7:F3} {pearson,8:F3} {Spearman(yhat, y),8:F3} {(pearson > blend[^1].Correlation ? ">1" : implied.ToString("F3")),9}");
        }
    }

    public static double Pearson(double[] a, double[] b)
    {
        var (ma, mb) = (a.Average(), b.Average());
        double sab = 0, saa = 0, sbb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            (sab, saa, sbb) = (sab + ((a[i] - ma) * (b[i] - mb)), saa + ((a[i] - ma) * (a[i] - ma)), sbb + ((b[i] - mb) * (b[i] - mb)));
        }

        return sab / Math.Sqrt(saa * sbb);
    }

    private static double Spearman(double[] a, double[] b) => Pearson(Ranks(a), Ranks(b));

    private static double[] Ranks(double[] values)
    {
        var order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Length];
        for (var r = 0; r < order.Length; r++)
        {
            ranks[order[r]] = r;
        }

        return ranks;
    }
}
