using System.Globalization;

namespace Aml.Orleans.Grains.Domain;

/// <summary>
/// The engine's integer scales, in one place: collateral units (1e-6 USDC), E8 prices (the chain's E18 = E8·1e10),
/// basis points, leverage X100. Amounts for people are written with their unit: <c>1234.567890 USDC</c>,
/// <c>47000.00 USD</c>, exact (decimal division of an integer), never a float. The double conversions are for model
/// features and messages only, never for settlement.
/// </summary>
public static class Units
{
    /// <summary>Collateral units per USDC.</summary>
    public const long UsdcScale = 1_000_000;

    /// <summary>E8 price units per USD.</summary>
    public const long PriceScale = 100_000_000;

    /// <summary>The chain's E18 price units per engine E8 unit: <c>priceE18 = priceE8 · 1e10</c>.</summary>
    public const long E18PerE8 = 10_000_000_000;

    /// <summary>Basis points in one whole.</summary>
    public const long BpsScale = 10_000;

    /// <summary>Leverage is carried as X100 (1000 = 10.00x).</summary>
    public const long LeverageScale = 100;

    /// <summary>An E8 price as the chain's E18, checked.</summary>
    public static UInt128 ToE18(long priceE8) => checked((UInt128)priceE8 * E18PerE8);

    /// <summary>A chain E18 price as E8 (truncated: the engine's prices are E8 to begin with), checked.</summary>
    public static long FromE18(UInt128 priceE18) => checked((long)(priceE18 / E18PerE8));

    /// <summary>An E8 price as a float, for the risk library.</summary>
    public static double PriceOf(long priceE8) => priceE8 / (double)PriceScale;

    /// <summary>A float price as E8, rounded to nearest.</summary>
    public static long E8(double price) => (long)Math.Round(price * PriceScale, MidpointRounding.AwayFromZero);

    /// <summary>Collateral units as a float number of USDC, for model features.</summary>
    public static double UsdcOf(long units) => units / (double)UsdcScale;

    /// <summary>X100 leverage as a float multiple (1000 → 10.0), for model features and messages.</summary>
    public static double Leverage(long leverageX100) => leverageX100 / (double)LeverageScale;

    /// <summary><paramref name="units"/> collateral units as USDC with all six decimals.</summary>
    public static string Usdc(long units) => ((decimal)units / UsdcScale).ToString("0.000000", CultureInfo.InvariantCulture) + " USDC";

    /// <summary>An E8 price in USD with cents (more decimals below one dollar, where cents say nothing).</summary>
    public static string Usd(long priceE8)
    {
        var usd = (decimal)priceE8 / PriceScale;
        return usd.ToString(Math.Abs(usd) >= 1 ? "0.00" : "0.00######", CultureInfo.InvariantCulture) + " USD";
    }

    /// <summary>Basis points as a percentage, e.g. 125 → <c>1.25 %</c>.</summary>
    public static string Percent(long bps) => ((decimal)bps * 100 / BpsScale).ToString("0.00", CultureInfo.InvariantCulture) + " %";
}
