namespace Aml.Orleans.Risk.Backtest;

/// <summary>
/// An hour of the window at which positions open: at the close of hourly candle <see cref="Hour"/>, with the market
/// features and market state known then, and the realized 24 h excursions (the labels, known only 24 h later).
/// </summary>
public sealed record DecisionPoint(
    int Hour,
    DateTimeOffset Time,
    double Close,
    float[] Features,
    double DayVolatility,
    double QuoteVolume24h,
    double Calm,
    double LongExcursion24h,
    double ShortExcursion24h)
{
    /// <summary>When the 24 h label of this point has matured (may be reported to the models from then on).</summary>
    public DateTimeOffset LabelMatures => Time + TimeSpan.FromHours(TrainingSet.LongHorizon);

    /// <summary>The realized 24 h excursion of one side.</summary>
    public double Excursion(bool isLong) => isLong ? LongExcursion24h : ShortExcursion24h;
}

/// <summary>
/// One simulated position: what the trader asks for, before any policy caps it. The collateral is the trader's
/// budget (requested notional / requested leverage), the same under every policy; a capped trader keeps the
/// collateral and gets a smaller size.
/// </summary>
public sealed record SimulatedPosition(int Point, bool IsLong, double RequestedLeverage, double RequestedNotional, double Collateral, TraderKind Trader);

/// <summary>The two kinds of simulated trader (see <see cref="TraderMix"/>).</summary>
public enum TraderKind
{
    /// <summary>Modest leverage appetite.</summary>
    Cautious,

    /// <summary>High leverage appetite.</summary>
    Aggressive,
}

/// <summary>A policy's answer for one position: leverage cap and maintenance margin (fractions: 0.025 = 2.5 %).</summary>
public readonly record struct Terms(double Cap, double Margin);
