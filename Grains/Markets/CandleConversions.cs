using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Risk;

namespace Aml.Orleans.Grains.Markets;

/// <summary>Between the engine's E8 candles and the risk library's floating-point ones.</summary>
public static class CandleConversions
{
    /// <summary>E8 fixed point per unit price.</summary>
    public const double PriceScale = 100_000_000;

    /// <summary>The risk library's view of a market candle.</summary>
    public static Candle ToRiskCandle(this MarketCandle c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new Candle(c.OpenTime, c.OpenE8 / PriceScale, c.HighE8 / PriceScale, c.LowE8 / PriceScale, c.CloseE8 / PriceScale,
            c.Volume, c.QuoteVolume, c.Trades, c.TakerBuyVolume);
    }

    /// <summary>A loaded candle as the market grain takes it (prices rounded to E8).</summary>
    public static MarketCandle ToMarketCandle(this Candle c) =>
        new(c.OpenTime, E8(c.Open), E8(c.High), E8(c.Low), E8(c.Close), c.Volume, c.QuoteVolume, c.Trades, c.TakerBuyVolume);

    /// <summary>A price in E8, rounded to nearest.</summary>
    public static long E8(double price) => (long)Math.Round(price * PriceScale, MidpointRounding.AwayFromZero);
}
