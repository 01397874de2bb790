namespace Aml.Orleans.Risk.Harness;

/// <summary>
/// GARCH(1,1) on hourly log returns with variance targeting: h_{i+1} = ω + α r_i² + β h_i, ω = (1 − α − β)·mean r² of
/// the fit's window. (α, α + β) are fitted by Gaussian likelihood over a grid every 30 days on the trailing 365 days
/// of returns known at that close; the filter runs on through the series with the parameters in force. The 24 h
/// forecast is the mean of the expected variances of the next 24 hours: u + (α + β)^(k−1)·(h_{t+1} − u).
/// </summary>
internal static class Garch
{
    private const int Window = 365 * 24, RefitEvery = 30 * 24;
    private static readonly double[] Alphas = [0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2];
    private static readonly double[] Persistences = [0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.998];

    /// <summary>Adds regressor "garch" (log of the 24 h σ forecast at each close; NaN before the first year of returns).</summary>
    public static void AddTo(VolatilityHours hours, IReadOnlyList<Candle> candles)
    {
        var n = candles.Count;
        var r = new double[n];
        for (var i = 1; i < n; i++)
        {
            r[i] = Math.Log(candles[i].Close / candles[i - 1].Close);
        }

        var log = Enumerable.Repeat(double.NaN, n).ToArray();
        double alpha = 0, persistence = 0, unconditional = 0, h = 0;
        for (var t = Window; t < n; t++)
        {
            if ((t - Window) % RefitEvery == 0)
            {
                (alpha, persistence, unconditional) = Fit(r, t - Window + 1, t);
                h = h == 0 ? unconditional : h;
            }

            // h is the variance expected for r[t]; after seeing r[t], the one for r[t + 1].
            h = ((1 - persistence) * unconditional) + (alpha * r[t] * r[t]) + ((persistence - alpha) * h);
            double sum = 0, decay = 1;
            for (var k = 1; k <= VolatilityHours.Horizon; k++)
            {
                sum += unconditional + (decay * (h - unconditional));
                decay *= persistence;
            }

            log[t] = 0.5 * Math.Log(sum / VolatilityHours.Horizon);
        }

        hours.Log["garch"] = log;
    }

    private static (double Alpha, double Persistence, double Unconditional) Fit(double[] r, int first, int last)
    {
        double unconditional = 0;
        for (var i = first; i <= last; i++)
        {
            unconditional += r[i] * r[i];
        }

        unconditional /= last - first + 1;
        var best = (Alpha: 0.05, Persistence: 0.95, LogLikelihood: double.NegativeInfinity);
        foreach (var persistence in Persistences)
        {
            foreach (var alpha in Alphas.Where(a => a < persistence))
            {
                double h = unconditional, ll = 0;
                for (var i = first; i <= last; i++)
                {
                    ll -= Math.Log(h) + (r[i] * r[i] / h);
                    h = ((1 - persistence) * unconditional) + (alpha * r[i] * r[i]) + ((persistence - alpha) * h);
                }

                if (ll > best.LogLikelihood)
                {
                    best = (alpha, persistence, ll);
                }
            }
        }

        return (best.Alpha, best.Persistence, unconditional);
    }
}
