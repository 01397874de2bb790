using System.Globalization;

namespace Aml.Orleans.Grains.Domain;

/// <summary>
/// Integer amounts written for people, with their scale: collateral units (1e-6 USDC) as <c>1234.567890 USDC</c>,
/// E8 prices as <c>47000.00 USD</c>. Exact (decimal division of an integer), never a float.
/// </summary>
public static class Units
{
    /// <summary>Collateral units per USDC.</summary>
    public const long UsdcScale = 1_000_000;

    /// <summary>E8 price units per USD.</summary>
    public const long PriceScale = 100_000_000;

    /// <summary><paramref name="units"/> collateral units as USDC with all six decimals.</summary>
    public static string Usdc(long units) => ((decimal)units / UsdcScale).ToString("0.000000", CultureInfo.InvariantCulture) + " USDC";

    /// <summary>An E8 price in USD with cents (more decimals below one dollar, where cents say nothing).</summary>
    public static string Usd(long priceE8)
    {
        var usd = (decimal)priceE8 / PriceScale;
        return usd.ToString(Math.Abs(usd) >= 1 ? "0.00" : "0.00######", CultureInfo.InvariantCulture) + " USD";
    }

    /// <summary>Basis points as a percentage, e.g. 125 → <c>1.25 %</c>.</summary>
    public static string Percent(long bps) => ((decimal)bps / 100).ToString("0.00", CultureInfo.InvariantCulture) + " %";
}
