namespace Aml.Orleans.Risk.Tests;

public sealed class CandleLoaderTests
{
    private const string Good = "2024-01-01T00:00:00Z,100,110,90,105,1,,,";

    [Theory]
    [InlineData("2024-01-01T00:00:00Z,100,110,90,105,1,,,", 3, "duplicate candle")]
    [InlineData("2023-12-31T23:00:00Z,100,110,90,105,1,,,", 3, "must be in time order")]
    [InlineData("2024-01-01T01:00:00Z,0,110,90,105,1,,,", 3, "open '0' is not a positive finite price")]
    [InlineData("2024-01-01T01:00:00Z,100,NaN,90,105,1,,,", 3, "high 'NaN' is not a positive finite price")]
    [InlineData("2024-01-01T01:00:00Z,100,80,90,85,1,,,", 3, "high 80 is below low 90")]
    [InlineData("2024-01-01T01:00:00Z,100,110,90,105,,,,", 3, "volume is empty")]
    [InlineData("2024-01-01T01:00:00Z,100,110,90,105,1,,", 3, "expected 9 columns")]
    [InlineData("yesterday,100,110,90,105,1,,,", 3, "is not a UTC timestamp")]
    public void Parse_BadRow_FailsNamingFileAndLine(string badRow, int line, string problem)
    {
        var csv = $"{CandleLoader.Header}\n{Good}\n{badRow}\n";

        var error = Assert.Throws<CandleFormatException>(() => CandleLoader.Parse(new StringReader(csv), "x.csv", "X-USD"));

        Assert.Equal(line, error.Line);
        Assert.StartsWith($"x.csv:{line}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WrongHeader_FailsOnLineOne()
    {
        var error = Assert.Throws<CandleFormatException>(() => CandleLoader.Parse(new StringReader("time,open\n"), "x.csv", "X-USD"));

        Assert.Equal(1, error.Line);
    }

    [Fact]
    public void Parse_MissingHours_ReportedNotFilled()
    {
        var csv = $"{CandleLoader.Header}\n{Good}\n2024-01-01T01:00:00Z,105,106,104,105,1,,,\n2024-01-01T04:00:00Z,105,106,104,105,1,,,\n";

        var series = CandleLoader.Parse(new StringReader(csv), "x.csv", "X-USD");

        Assert.Equal(3, series.Candles.Count);
        Assert.Equal(TimeSpan.FromHours(1), series.Interval);
        var gap = Assert.Single(series.Gaps);
        Assert.Equal(2, gap.Missing);
    }

    [Fact]
    public void Load_RealBtcFile_ValidAndNamedAsTheEngineNamesMarkets()
    {
        var series = CandleLoader.Load(RiskData.Path("BTCUSDT-1h.csv"));

        Assert.Equal("BTC-USD", series.Asset);
        Assert.True(series.Candles.Count > 50_000);
        Assert.Equal(TimeSpan.FromHours(1), series.Interval);
    }
}

/// <summary>The repository's copy of the market data (data/market).</summary>
internal static class RiskData
{
    public static string Path(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "data", "market", file);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"data/market/{file} not found above {AppContext.BaseDirectory}");
    }

    private static readonly Lazy<CandleSeries> LazyBtc = new(() => CandleLoader.Load(Path("BTCUSDT-1h.csv")));

    /// <summary>The BTC hourly series, loaded once per test run.</summary>
    public static CandleSeries Btc => LazyBtc.Value;
}
