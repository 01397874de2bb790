namespace Aml.Orleans.Risk;

/// <summary>
/// Normalised split-conformal scores of one side: <c>(y - ŷ) / ŝ</c> on the calibration window, sorted, where ŷ is
/// the excursion model's prediction and ŝ the scale model's prediction of the residual's size. The upper quantile
/// at coverage 1-α is the ⌈(n+1)(1-α)⌉-th smallest score; with exchangeable data <c>ŷ + ŝ·score</c> covers the next
/// label with probability ≥ 1-α, and the interval widens where ŝ says the model is unsure.
/// </summary>
public sealed record ConformalScores(double[] Long, double[] Short)
{
    /// <summary>The score quantile at coverage <c>1 - alpha</c> on the given side (α below 1/(n+1): the largest score).</summary>
    public double Quantile(bool isLong, double alpha)
    {
        var scores = isLong ? Long : Short;
        var rank = (int)Math.Ceiling((scores.Length + 1) * (1 - Math.Clamp(alpha, 0, 1)));
        return scores[Math.Clamp(rank, 1, scores.Length) - 1];
    }

    /// <summary>Sorts each side's scores (the stored form).</summary>
    public static ConformalScores Of(IEnumerable<double> longScores, IEnumerable<double> shortScores) =>
        new([.. longScores.Order()], [.. shortScores.Order()]);
}

/// <summary>
/// Isotonic calibration of the risk score (pool-adjacent-violators on a later window than the trees were fitted on):
/// a non-decreasing step function from the ensemble's raw score to a probability. Stored as the steps' lower edges
/// and values; a raw score takes the value of the last step whose edge it reaches.
/// </summary>
public sealed record IsotonicCalibration(double[] Edges, double[] Values)
{
    /// <summary>The calibrated probability of a raw score.</summary>
    public double Probability(float rawScore)
    {
        var i = Array.BinarySearch(Edges, (double)rawScore);
        i = i >= 0 ? i : ~i - 1;
        return Values[Math.Clamp(i, 0, Values.Length - 1)];
    }

    /// <summary>Fits the steps to (raw score, outcome) pairs.</summary>
    public static IsotonicCalibration Fit(IReadOnlyList<(float Score, bool Outcome)> samples)
    {
        if (samples.Count == 0)
        {
            throw new ArgumentException("isotonic calibration needs samples", nameof(samples));
        }

        var sorted = samples.OrderBy(s => s.Score).ToArray();
        // Blocks of (first score, sum of outcomes, count), merged while a block's mean is not above its predecessor's.
        var edges = new List<double>();
        var sums = new List<double>();
        var counts = new List<double>();
        foreach (var (score, outcome) in sorted)
        {
            if (edges.Count > 0 && edges[^1] == score)
            {
                sums[^1] += outcome ? 1 : 0;
                counts[^1]++;
            }
            else
            {
                edges.Add(score);
                sums.Add(outcome ? 1 : 0);
                counts.Add(1);
            }

            while (sums.Count > 1 && sums[^1] / counts[^1] <= sums[^2] / counts[^2])
            {
                sums[^2] += sums[^1];
                counts[^2] += counts[^1];
                edges.RemoveAt(edges.Count - 1);
                sums.RemoveAt(sums.Count - 1);
                counts.RemoveAt(counts.Count - 1);
            }
        }

        return new IsotonicCalibration([.. edges], [.. sums.Select((s, i) => s / counts[i])]);
    }
}

/// <summary>One bin of a reliability table: predicted against realized frequency on held-back data.</summary>
public sealed record ReliabilityBin(double PredictedFrom, double PredictedTo, int Count, double MeanPredicted, double Realized);

/// <summary>Proper scores of probabilities against outcomes, and the reliability table.</summary>
public static class ProbabilityScores
{
    /// <summary>Mean squared error of the probabilities.</summary>
    public static double Brier(IReadOnlyList<(double P, bool Y)> samples) =>
        samples.Average(s => Math.Pow(s.P - (s.Y ? 1 : 0), 2));

    /// <summary>Mean negative log-likelihood, probabilities clipped to [1e-4, 1 - 1e-4] so one certain miss stays finite.</summary>
    public static double LogLoss(IReadOnlyList<(double P, bool Y)> samples) =>
        samples.Average(s =>
        {
            var p = Math.Clamp(s.P, 1e-4, 1 - 1e-4);
            return -(s.Y ? Math.Log(p) : Math.Log(1 - p));
        });

    /// <summary>Bins on the predicted probability (edges are fixed, so tables of two models compare).</summary>
    public static IReadOnlyList<ReliabilityBin> Reliability(IReadOnlyList<(double P, bool Y)> samples)
    {
        double[] edges = [0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0000001];
        var bins = new List<ReliabilityBin>();
        for (var b = 0; b + 1 < edges.Length; b++)
        {
            var inBin = samples.Where(s => s.P >= edges[b] && s.P < edges[b + 1]).ToList();
            if (inBin.Count > 0)
            {
                bins.Add(new ReliabilityBin(edges[b], Math.Min(edges[b + 1], 1), inBin.Count,
                    Math.Round(inBin.Average(s => s.P), 6), Math.Round(inBin.Average(s => s.Y ? 1.0 : 0), 6)));
            }
        }

        return bins;
    }
}
