namespace Aml.Orleans.Risk;

/// <summary>Bounds for a market nobody listed, from its own realized volatility (RISK.md: derived, not refused).</summary>
public sealed partial record MarketBounds
{
    /// <summary>Hours of history the derivation reads (90 days), and the least it accepts (30 days).</summary>
    public const int DerivationHours = 2_160, MinimumDerivationHours = 720;

    /// <summary>
    /// Bounds from σ_day (√24 × the standard deviation of hourly log returns over the 90 days strictly before
    /// <paramref name="asOf"/>): max leverage ⌊1/σ_day⌋ within [2x, 50x]; liquidation penalty 0.4·σ_day rounded up to
    /// 25 bps within [100, 500] bps; maintenance margin from half the penalty up to 25 %. On the listed markets this
    /// reproduces the penalties ./aml deploy lists (BTC 100, SOL 150, DOGE 200 bps at their recent volatility) and a
    /// leverage ceiling that never binds the models' caps in calm markets.
    /// </summary>
    public static MarketBounds Derive(CandleSeries series, DateTimeOffset asOf)
    {
        ArgumentNullException.ThrowIfNull(series);
        var before = series.Candles.Where(c => c.OpenTime < asOf).TakeLast(DerivationHours + 1).ToList();
        var returns = new List<double>(before.Count);
        for (var i = 1; i < before.Count; i++)
        {
            // A gap is a gap: a return across missing hours is not an hourly return.
            if (before[i].OpenTime - before[i - 1].OpenTime == series.Interval)
            {
                returns.Add(Math.Log(before[i].Close / before[i - 1].Close));
            }
        }

        if (returns.Count < MinimumDerivationHours)
        {
            throw new ArgumentException(
                $"{series.Asset}: {returns.Count} hourly returns before {asOf:O}; deriving market bounds needs at least {MinimumDerivationHours} (30 days)", nameof(series));
        }

        var mean = returns.Average();
        var dayVolatility = Math.Sqrt(returns.Sum(r => (r - mean) * (r - mean)) / (returns.Count - 1) * 24);
        var maxLeverage = Math.Clamp(Math.Floor(1 / dayVolatility), 2, 50);
        var penaltyBps = Math.Clamp(Math.Ceiling(dayVolatility * 4_000 / 25) * 25, 100, 500);
        return new MarketBounds(100, (uint)(maxLeverage * 100), (uint)Math.Ceiling(penaltyBps / 2), 2_500, (uint)penaltyBps);
    }
}
