using System.Globalization;

namespace Aml.Orleans.Risk;

/// <summary>One OHLCV candle. Quote volume, trades and taker-buy volume are absent (null) for much of the history.</summary>
public readonly record struct Candle(
    DateTimeOffset OpenTime,
    double Open,
    double High,
    double Low,
    double Close,
    double Volume,
    double? QuoteVolume = null,
    double? Trades = null,
    double? TakerBuyVolume = null)
{
    /// <summary>Quote volume as reported, else base volume × typical price (every row has those; see RISK.md).</summary>
    public double QuoteVolumeOrDerived => QuoteVolume ?? Volume * (High + Low + Close) / 3;
}

/// <summary>A run of missing candles between two that are present (reported, never filled).</summary>
public sealed record CandleGap(DateTimeOffset After, DateTimeOffset Before, int Missing);

/// <summary>A validated, time-ordered candle series of one asset.</summary>
public sealed record CandleSeries(string Asset, TimeSpan Interval, IReadOnlyList<Candle> Candles, IReadOnlyList<CandleGap> Gaps)
{
    /// <summary>The candles with <c>from ≤ OpenTime &lt; to</c>.</summary>
    public IReadOnlyList<Candle> Between(DateTimeOffset from, DateTimeOffset to) =>
        Candles.Where(c => c.OpenTime >= from && c.OpenTime < to).ToArray();
}

/// <summary>A malformed candle file, with the file and line at fault.</summary>
public sealed class CandleFormatException(string file, int line, string problem)
    : FormatException($"{file}:{line}: {problem}")
{
    /// <summary>The file.</summary>
    public string File { get; } = file;

    /// <summary>The 1-based line.</summary>
    public int Line { get; } = line;
}

/// <summary>
/// Reads the candle CSVs of <c>data/market/</c> (<c>open_time_utc,open,high,low,close,volume,quote_volume,trades,
/// taker_buy_volume</c>), rejecting what a model must never see: disorder, duplicates, non-positive or non-finite
/// prices, high below low. Gaps are reported, not filled.
/// </summary>
public static class CandleLoader
{
    /// <summary>The header every file starts with.</summary>
    public const string Header = "open_time_utc,open,high,low,close,volume,quote_volume,trades,taker_buy_volume";

    /// <summary>Loads one file; the asset is taken from a name like <c>BTCUSDT-1h.csv</c> unless given.</summary>
    public static CandleSeries Load(string path, string? asset = null)
    {
        using var reader = new StreamReader(path);
        return Parse(reader, path, asset ?? AssetFromFileName(path));
    }

    /// <summary>Loads several files of one asset and merges them in time order, dropping exact duplicates.</summary>
    public static CandleSeries LoadMerged(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var series = paths.Select(p => Load(p)).ToList();
        var assets = series.Select(s => s.Asset).Distinct(StringComparer.Ordinal).ToList();
        if (assets.Count != 1)
        {
            throw new ArgumentException($"--data files must be of one asset, got {string.Join(", ", assets)}", nameof(paths));
        }

        var interval = series[0].Interval;
        if (series.Any(s => s.Interval != interval))
        {
            throw new ArgumentException("--data files must share one candle interval", nameof(paths));
        }

        var merged = new SortedDictionary<DateTimeOffset, Candle>();
        foreach (var candle in series.SelectMany(s => s.Candles))
        {
            if (merged.TryGetValue(candle.OpenTime, out var existing) && existing != candle)
            {
                throw new ArgumentException($"two files disagree about the candle at {candle.OpenTime:O}", nameof(paths));
            }

            merged[candle.OpenTime] = candle;
        }

        var candles = merged.Values.ToArray();
        return new CandleSeries(assets[0], interval, candles, FindGaps(candles, interval));
    }

    /// <summary>Parses CSV text; <paramref name="name"/> is used in error messages.</summary>
    public static CandleSeries Parse(TextReader reader, string name, string asset)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var header = reader.ReadLine();
        if (header?.TrimEnd('\r') != Header)
        {
            throw new CandleFormatException(name, 1, $"expected the header '{Header}'");
        }

        var candles = new List<Candle>();
        var lineNumber = 1;
        while (reader.ReadLine() is { } raw)
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            var candle = ParseRow(line, name, lineNumber);
            if (candles.Count > 0)
            {
                var previous = candles[^1].OpenTime;
                if (candle.OpenTime == previous)
                {
                    throw new CandleFormatException(name, lineNumber, $"duplicate candle at {candle.OpenTime:O}");
                }

                if (candle.OpenTime < previous)
                {
                    throw new CandleFormatException(name, lineNumber, $"candle at {candle.OpenTime:O} comes after {previous:O}: rows must be in time order");
                }
            }

            candles.Add(candle);
        }

        if (candles.Count < 2)
        {
            throw new CandleFormatException(name, lineNumber, "a series needs at least two candles");
        }

        var interval = Enumerable.Range(1, Math.Min(candles.Count - 1, 50))
            .Select(i => candles[i].OpenTime - candles[i - 1].OpenTime)
            .GroupBy(d => d).OrderByDescending(g => g.Count()).First().Key;
        return new CandleSeries(asset, interval, candles, FindGaps(candles, interval));
    }

    /// <summary><c>BTCUSDT-1h.csv</c> → <c>BTC-USD</c> (USDT is treated as USD, as the engine's markets are).</summary>
    public static string AssetFromFileName(string path)
    {
        var symbol = Path.GetFileNameWithoutExtension(path).Split('-')[0].ToUpperInvariant();
        return symbol.EndsWith("USDT", StringComparison.Ordinal) ? symbol[..^4] + "-USD" : symbol;
    }

    private static Candle ParseRow(string line, string name, int lineNumber)
    {
        var f = line.Split(',');
        if (f.Length != 9)
        {
            throw new CandleFormatException(name, lineNumber, $"expected 9 columns, got {f.Length}");
        }

        if (!DateTimeOffset.TryParse(f[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            throw new CandleFormatException(name, lineNumber, $"open_time_utc '{f[0]}' is not a UTC timestamp");
        }

        var open = Price(f[1], "open");
        var high = Price(f[2], "high");
        var low = Price(f[3], "low");
        var close = Price(f[4], "close");
        if (high < low)
        {
            throw new CandleFormatException(name, lineNumber, $"high {high} is below low {low}");
        }

        if (open > high || open < low || close > high || close < low)
        {
            throw new CandleFormatException(name, lineNumber, "open and close must lie within low..high");
        }

        var volume = Optional(f[5], "volume") ?? throw new CandleFormatException(name, lineNumber, "volume is empty");
        return new Candle(time, open, high, low, close, volume, Optional(f[6], "quote_volume"), Optional(f[7], "trades"), Optional(f[8], "taker_buy_volume"));

        double Price(string text, string column)
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || value <= 0)
            {
                throw new CandleFormatException(name, lineNumber, $"{column} '{text}' is not a positive finite price");
            }

            return value;
        }

        double? Optional(string text, string column)
        {
            if (text.Length == 0)
            {
                return null;
            }

            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || value < 0)
            {
                throw new CandleFormatException(name, lineNumber, $"{column} '{text}' is not a non-negative number");
            }

            return value;
        }
    }

    private static List<CandleGap> FindGaps(IReadOnlyList<Candle> candles, TimeSpan interval)
    {
        var gaps = new List<CandleGap>();
        for (var i = 1; i < candles.Count; i++)
        {
            var step = candles[i].OpenTime - candles[i - 1].OpenTime;
            if (step > interval)
            {
                gaps.Add(new CandleGap(candles[i - 1].OpenTime, candles[i].OpenTime, (int)(step / interval) - 1));
            }
        }

        return gaps;
    }
}
