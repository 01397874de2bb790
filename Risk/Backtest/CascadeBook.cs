namespace Aml.Orleans.Risk.Backtest;

/// <summary>
/// Market impact of liquidations, with cascades: a liquidation's fill moves by <c>k · σ_day · √(N / ADV)</c> against
/// the position, where N is the notional liquidated in the same clock hour by <b>all</b> simulated positions (this
/// one included) and σ_day, ADV are the market's volatility and 24 h quote volume at the last hourly close before the
/// trigger. The constant k is a property of the market, the same for every policy.
/// </summary>
public sealed class CascadeBook(double impactConstant)
{
    /// <summary>The square-root law's constant used by default (empirical studies put it near 1).</summary>
    public const double DefaultImpactConstant = 1.0;

    // Impact is capped so a fill stays a price; the cap binds only in absurd books.
    private const double MaxImpact = 0.5;

    private readonly Dictionary<int, double> _notionalByHour = [];

    /// <summary>The impact constant k.</summary>
    public double ImpactConstant { get; } = impactConstant;

    /// <summary>Books a liquidation of <paramref name="notional"/> in hourly candle <paramref name="hour"/>.</summary>
    public void Add(int hour, double notional) =>
        _notionalByHour[hour] = _notionalByHour.GetValueOrDefault(hour) + notional;

    /// <summary>Notional liquidated in hour <paramref name="hour"/> so far.</summary>
    public double NotionalIn(int hour) => _notionalByHour.GetValueOrDefault(hour);

    /// <summary>The fractional impact on a fill in <paramref name="hour"/>.</summary>
    public double Impact(int hour, double dayVolatility, double quoteVolume24h) =>
        quoteVolume24h > 0 && double.IsFinite(dayVolatility)
            ? Math.Min(MaxImpact, ImpactConstant * dayVolatility * Math.Sqrt(NotionalIn(hour) / quoteVolume24h))
            : 0;

    /// <summary>The worst price moved further against the position by the impact.</summary>
    public static double Fill(double worstPrice, double impact, bool isLong) => isLong ? worstPrice * (1 - impact) : worstPrice * (1 + impact);
}
