using Aml.Orleans.Grains.Domain;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Risk;

namespace Aml.Orleans.Grains.Markets;

/// <summary>Between the engine's E8 candles and the risk library's floating-point ones.</summary>
public static class CandleConversions
{
    /// <summary>The risk library's view of a market candle.</summary>
    public static Candle ToRiskCandle(this MarketCandle c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new Candle(c.OpenTime, Units.PriceOf(c.OpenE8), Units.PriceOf(c.HighE8), Units.PriceOf(c.LowE8), Units.PriceOf(c.CloseE8),
            c.Volume, c.QuoteVolume, c.Trades, c.TakerBuyVolume);
    }

    /// <summary>A loaded candle as the market grain takes it (prices rounded to E8).</summary>
    public static MarketCandle ToMarketCandle(this Candle c) =>
        new(c.OpenTime, E8(c.Open), E8(c.High), E8(c.Low), E8(c.Close), c.Volume, c.QuoteVolume, c.Trades, c.TakerBuyVolume);

    /// <summary>A price in E8, rounded to nearest (<see cref="Units.E8"/>).</summary>
    public static long E8(double price) => Units.E8(price);
}
