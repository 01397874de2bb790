namespace Aml.Orleans.Risk.Tests;

/// <summary>
/// Hourly candles built for a test (seeded): Gaussian log returns of a stated volatility and drift per hour, so a
/// regime break is exactly where the test puts it. Used only where real data cannot state the truth.
/// </summary>
internal static class SyntheticMarket
{
    public static readonly DateTimeOffset Start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Phases of (hours, hourly volatility, hourly drift), one after the other.</summary>
    public static CandleSeries Build(string asset, int seed, params (int Hours, double Volatility, double Drift)[] phases)
    {
        var random = new Random(seed);
        var candles = new List<Candle>();
        var price = 100.0;
        foreach (var (hours, volatility, drift) in phases)
        {
            for (var h = 0; h < hours; h++)
            {
                // Four 15-minute steps per candle, so high and low are the path's own extremes.
                var open = price;
                double high = open, low = open;
                for (var step = 0; step < 4; step++)
                {
                    price *= Math.Exp((drift / 4) + (volatility / 2 * Gaussian(random)));
                    high = Math.Max(high, price);
                    low = Math.Min(low, price);
                }

                candles.Add(new Candle(Start.AddHours(candles.Count), open, high, low, price, 1_000 * (1 + random.NextDouble())));
            }
        }

        return new CandleSeries(asset, TimeSpan.FromHours(1), candles, []);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
