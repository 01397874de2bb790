namespace Aml.Orleans.Risk.Harness;

/// <summary>A forecast of log σ_next at the hours it priced, with the residual variance of the fit that made each (for QLIKE's log-normal mean).</summary>
internal sealed record VolatilityForecast(string Name, Dictionary<int, (double LogSigma, double ResidualVariance)> ByHour);

/// <summary>
/// HAR-style least squares of log σ_next on named regressors, refitted at the first priced hour of each day on the
/// trailing 365 days of hours whose 24 h target had matured by then (t' + 24 ≤ refit hour): nothing at or after the
/// hour priced enters its fit.
/// </summary>
internal static class LinearForecast
{
    private const int TrailingHours = 365 * 24;

    public static VolatilityForecast Fit(string name, VolatilityHours hours, IReadOnlyList<int> priced, IReadOnlyList<string> regressors)
    {
        var result = new Dictionary<int, (double, double)>();
        double[]? beta = null;
        double residualVariance = 0;
        var refitAt = int.MinValue;
        foreach (var t in priced)
        {
            if (t >= refitAt + 24)
            {
                (beta, residualVariance) = Solve(hours, regressors, Math.Max(0, t - TrailingHours), t - VolatilityHours.Horizon);
                refitAt = t;
            }

            var logSigma = Predict(hours, regressors, beta!, t);
            result[t] = double.IsFinite(logSigma) ? (logSigma, residualVariance) : throw new InvalidOperationException($"{name}: a regressor is missing at priced hour {t}");
        }

        return new VolatilityForecast(name, result);
    }

    private static double Predict(VolatilityHours hours, IReadOnlyList<string> regressors, double[] beta, int t)
    {
        var y = beta[0];
        for (var j = 0; j < regressors.Count; j++)
        {
            y += beta[j + 1] * hours[regressors[j]][t];
        }

        return y;
    }

    // Normal equations with a tiny ridge (the range estimators are nearly collinear); rows first..last inclusive.
    private static (double[] Beta, double ResidualVariance) Solve(VolatilityHours hours, IReadOnlyList<string> regressors, int first, int last)
    {
        var p = regressors.Count + 1;
        var xtx = new double[p, p];
        var xty = new double[p];
        var x = new double[p];
        var rows = new List<int>();
        for (var t = first; t <= last; t++)
        {
            Row(hours, regressors, t, x);
            if (!hours.Usable[t] || !x.All(double.IsFinite))
            {
                continue;
            }

            rows.Add(t);
            var y = Math.Log(hours.Target[t]);
            for (var i = 0; i < p; i++)
            {
                xty[i] += x[i] * y;
                for (var j = 0; j < p; j++)
                {
                    xtx[i, j] += x[i] * x[j];
                }
            }
        }

        if (rows.Count < 30 * 24)
        {
            throw new InvalidOperationException($"only {rows.Count} matured hours before hour {last + VolatilityHours.Horizon}: too little history to fit");
        }

        for (var i = 1; i < p; i++)
        {
            xtx[i, i] += 1e-6 * rows.Count;
        }

        var beta = GaussianElimination(xtx, xty);
        var sse = rows.Sum(t =>
        {
            Row(hours, regressors, t, x);
            var fitted = x.Select((v, i) => v * beta[i]).Sum();
            return Math.Pow(Math.Log(hours.Target[t]) - fitted, 2);
        });
        return (beta, sse / (rows.Count - p));
    }

    private static void Row(VolatilityHours hours, IReadOnlyList<string> regressors, int t, double[] x)
    {
        x[0] = 1;
        for (var j = 0; j < regressors.Count; j++)
        {
            x[j + 1] = hours[regressors[j]][t];
        }
    }

    private static double[] GaussianElimination(double[,] a, double[] b)
    {
        var n = b.Length;
        var m = (double[,])a.Clone();
        var v = (double[])b.Clone();
        for (var col = 0; col < n; col++)
        {
            var pivot = Enumerable.Range(col, n - col).MaxBy(r => Math.Abs(m[r, col]));
            for (var k = 0; k < n; k++)
            {
                (m[col, k], m[pivot, k]) = (m[pivot, k], m[col, k]);
            }

            (v[col], v[pivot]) = (v[pivot], v[col]);
            for (var r = col + 1; r < n; r++)
            {
                var f = m[r, col] / m[col, col];
                for (var k = col; k < n; k++)
                {
                    m[r, k] -= f * m[col, k];
                }

                v[r] -= f * v[col];
            }
        }

        var beta = new double[n];
        for (var r = n - 1; r >= 0; r--)
        {
            var s = v[r];
            for (var k = r + 1; k < n; k++)
            {
                s -= m[r, k] * beta[k];
            }

            beta[r] = s / m[r, r];
        }

        return beta;
    }
}
