using System.Text.Json;
using Aml.Orleans.Cli;
using Aml.Orleans.Risk.Backtest;

namespace Aml.Orleans.Risk.Tests.Backtest;

/// <summary>The backtest on real candles with a real model set, and <c>aml backtest</c>'s contract.</summary>
public sealed class BacktestCliTests(RiskModelSetTests.Models models) : IClassFixture<RiskModelSetTests.Models>
{
    private static readonly MarketBounds Btc = new(100, 5_000, 50, 2_500, 100);
    private static readonly DateTimeOffset From = RiskModelSetTests.Models.TrainTo;

    private static readonly string[] PolicyFields =
    [
        "policy", "positions", "liquidationRate", "liquidationRateAtCap", "badDebtBps", "badDebtP99Bps", "meanLeverage", "coverage",
        "coverageLong", "coverageShort", "worstLossBps", "pinballLoss", "pinballLossInterval", "frontier", "meanMargin", "liquidationRateBelowCap",
    ];

    [Fact]
    public void Run_SmallRealSlice_ThreePoliciesWithSaneMetricsAndFrontiers()
    {
        var result = Backtester.Run(new MarketTape(RiskData.Btc), RiskData.Btc, From, From.AddDays(30), Btc, models.First);

        Assert.Equal(["static", "volscaled", "aml"], result.Policies.Select(p => p.Policy));
        Assert.All(result.Policies, p =>
        {
            Assert.True(p.Metrics.Positions > 1_000, $"{p.Policy}: {p.Metrics.Positions} positions");
            Assert.InRange(p.Metrics.LiquidationRate, 0, 1);
            Assert.True(p.Metrics.BadDebtBps >= 0);
            Assert.InRange(p.Metrics.Coverage, 0, 1);
            Assert.InRange(p.Metrics.MeanLeverage, 1, 50);
            Assert.InRange(p.Metrics.PinballLoss, p.Metrics.PinballLossLow, p.Metrics.PinballLossHigh);
            Assert.True(p.Frontier.Count >= 5, $"{p.Policy}: {p.Frontier.Count} frontier points");
        });
        Assert.True(result.Policies[0].Metrics.MeanLeverage <= 20, "static never exceeds its 20x tier");
        Assert.Equal(models.First.ModelHash, result.ModelHash);
        Assert.Equal(result.Policies[2].Metrics.MeanLeverage, result.Comparison!.AtMeanLeverage);
    }

    [Fact]
    public void Run_LowerMarginCoverage_NarrowsOnlyAmlsMargins()
    {
        var asTrained = Backtester.Run(new MarketTape(RiskData.Btc), RiskData.Btc, From, From.AddDays(10), Btc, models.First);
        var lower = Backtester.Run(new MarketTape(RiskData.Btc), RiskData.Btc, From, From.AddDays(10), Btc, models.First, new BacktestOptions { MarginCoverage = 0.8 });

        Assert.True(lower.Policies[2].Metrics.MeanMargin < asTrained.Policies[2].Metrics.MeanMargin, $"{lower.Policies[2].Metrics.MeanMargin} vs {asTrained.Policies[2].Metrics.MeanMargin}");
        Assert.True(lower.Policies[2].Metrics.MeanLeverage >= asTrained.Policies[2].Metrics.MeanLeverage);
        Assert.Equal(asTrained.Policies[0].Metrics, lower.Policies[0].Metrics);
        Assert.Equal(asTrained.Policies[1].Metrics, lower.Policies[1].Metrics);
    }

    [Fact]
    public void Run_Forgetting_MovesOnlyAmlsCaps()
    {
        var plain = Backtester.Run(new MarketTape(RiskData.Btc), RiskData.Btc, From, From.AddDays(10), Btc, models.First);
        var forgetting = Backtester.Run(new MarketTape(RiskData.Btc), RiskData.Btc, From, From.AddDays(10), Btc, models.First, new BacktestOptions { Forgetting = 0.05 });

        Assert.NotEqual(plain.Policies[2].Metrics.MeanLeverage, forgetting.Policies[2].Metrics.MeanLeverage);
        Assert.Equal(plain.Policies[2].Metrics.MeanMargin, forgetting.Policies[2].Metrics.MeanMargin);
        Assert.Equal(plain.Policies[0].Metrics, forgetting.Policies[0].Metrics);
        Assert.Equal(plain.Policies[1].Metrics, forgetting.Policies[1].Metrics);
    }

    [Fact]
    public void Run_TighterBounds_NoPolicyAboveTheMarketCap()
    {
        var tight = Btc with { MaxLeverageX100 = 300 };

        var result = Backtester.Run(new MarketTape(RiskData.Btc), RiskData.Btc, From, From.AddDays(10), tight, models.First);

        Assert.All(result.Policies, p => Assert.All(p.Frontier, f => Assert.True(f.MeanLeverage <= 3, $"{p.Policy} at {f.Scale}: {f.MeanLeverage}")));
    }

    [Fact]
    public void Run_FtxWeekWithFiveMinuteBars_StaticAtTwentyShowsBadDebt()
    {
        var fine = CandleLoader.Load(RiskData.Path("BTCUSDT-5m.csv"));
        var tape = new MarketTape(RiskData.Btc, fine);
        var from = new DateTimeOffset(2022, 11, 6, 0, 0, 0, TimeSpan.Zero);

        var result = Backtester.Run(tape, RiskData.Btc, from, from.AddDays(7), Btc, options: new BacktestOptions { Policies = [Policy.Static] });

        Assert.Equal(720, result.FineHours);
        Assert.True(result.Policies[0].Metrics.BadDebtBps > 0, "a 20x tier through the FTX collapse must leave bad debt");
    }

    [Fact]
    public void Cli_BacktestJson_LastLineHoldsTheRiskMdFields()
    {
        var directory = SavedModels();
        try
        {
            var output = new StringWriter();

            var code = Program.Run(["backtest", "--data", RiskData.Path("BTCUSDT-1h.csv"), "--from", "2022-01-01", "--to", "2022-01-15", "--models", directory, "--json"], output, TextWriter.Null);

            Assert.Equal(0, code);
            using var json = JsonDocument.Parse(output.ToString().TrimEnd().Split('\n')[^1]);
            var root = json.RootElement;
            Assert.Equal("BTC-USD", root.GetProperty("asset").GetString());
            Assert.Equal(models.First.ModelHash, root.GetProperty("modelHash").GetString());
            foreach (var policy in root.GetProperty("policies").EnumerateArray())
            {
                foreach (var field in PolicyFields)
                {
                    Assert.True(policy.TryGetProperty(field, out _), $"missing {field}");
                }

                Assert.All(policy.GetProperty("frontier").EnumerateArray(), f =>
                    Assert.All((string[])["scale", "meanLeverage", "liquidationRate", "badDebtBps"], name => Assert.True(f.TryGetProperty(name, out _), $"frontier misses {name}")));
            }

            var comparison = root.GetProperty("comparison");
            Assert.True(comparison.GetProperty("atMeanLeverage").GetDouble() > 1);
            foreach (var policy in (string[])["aml", "volscaled", "static"])
            {
                Assert.True(comparison.GetProperty(policy).TryGetProperty("liquidationRate", out _), $"comparison misses {policy}");
                Assert.True(comparison.GetProperty(policy).TryGetProperty("badDebtBps", out _), $"comparison misses {policy}");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("BTCUSDT-1h.csv", "2021-12-01", "2022-01-01", "2021-12-01")]
    [InlineData("ETHUSDT-1h.csv", "2022-01-01", "BTC-USD", "ETH-USD")]
    public void Cli_ModelsTrainedOnTheWindowOrAnotherAsset_RefusedNamingDatesAndAssets(string data, string from, string named, string alsoNamed)
    {
        // The fixture's set is BTC's, trained on data up to 2022-01-01.
        var directory = SavedModels();
        try
        {
            var error = new StringWriter();

            var code = Program.Run(["backtest", "--data", RiskData.Path(data), "--from", from, "--to", "2022-01-15", "--models", directory, "--json"], TextWriter.Null, error);

            Assert.Equal(1, code);
            Assert.Contains(named, error.ToString(), StringComparison.Ordinal);
            Assert.Contains(alsoNamed, error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Cli_AssetWithoutListedBounds_PricedWithDerivedBounds()
    {
        // BTC's candles under a name no deployment lists: the backtest derives bounds from volatility instead of refusing.
        var directory = Directory.CreateTempSubdirectory("aml-unlisted-").FullName;
        try
        {
            var file = Path.Combine(directory, "XYZUSDT-1h.csv");
            File.Copy(RiskData.Path("BTCUSDT-1h.csv"), file);
            var output = new StringWriter();

            var code = Program.Run(["backtest", "--data", file, "--from", "2024-08-02", "--to", "2024-08-09", "--policy", "volscaled", "--json"], output, TextWriter.Null);

            Assert.Equal(0, code);
            using var json = JsonDocument.Parse(output.ToString().TrimEnd().Split('\n')[^1]);
            Assert.Equal("XYZ-USD", json.RootElement.GetProperty("asset").GetString());
            var series = CandleLoader.Load(file);
            var from = new DateTimeOffset(2024, 8, 2, 0, 0, 0, TimeSpan.Zero);
            var expected = Backtester.Run(new MarketTape(series), series, from, from.AddDays(7), MarketBounds.Derive(series, from), options: new BacktestOptions { Policies = [Policy.VolScaled] });
            Assert.Equal(
                expected.Policies[0].Frontier.Select(f => f.MeanLeverage),
                json.RootElement.GetProperty("policies")[0].GetProperty("frontier").EnumerateArray().Select(f => f.GetProperty("meanLeverage").GetDouble()));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Cli_Plot_WritesFrontierAndPerSideCalibrationCharts()
    {
        var models = SavedModels();
        var plots = Directory.CreateTempSubdirectory("aml-plots-").FullName;
        try
        {
            var code = Program.Run(["backtest", "--data", RiskData.Path("BTCUSDT-1h.csv"), "--from", "2022-01-01", "--to", "2022-01-08", "--models", models, "--json", "--plot", plots], TextWriter.Null, TextWriter.Null);

            Assert.Equal(0, code);
            foreach (var chart in (string[])["caps.png", "frontier.png", "calibration-long.png", "calibration-short.png", "liquidations.png", "bad-debt.png"])
            {
                Assert.True(new FileInfo(Path.Combine(plots, chart)) is { Exists: true, Length: > 1_000 }, $"{chart} missing or empty");
            }
        }
        finally
        {
            Directory.Delete(models, recursive: true);
            Directory.Delete(plots, recursive: true);
        }
    }

    [Theory]
    [InlineData(new[] { "backtest" }, "--data <csv> is required")]
    [InlineData(new[] { "backtest", "--data", "nope.csv" }, "--data nope.csv: no such file")]
    [InlineData(new[] { "backtest", "--data", "DATA", "--policy", "best", "--json" }, "--policy 'best' is not one of")]
    [InlineData(new[] { "backtest", "--data", "FIVE", "--json" }, "--data: an hourly file is needed")]
    [InlineData(new[] { "backtest", "--data", "DATA", "--margin-coverage", "1.5", "--json" }, "--margin-coverage '1.5' must be a fraction in (0, 1)")]
    [InlineData(new[] { "backtest", "--data", "DATA", "--forgetting", "-0.1", "--json" }, "--forgetting '-0.1' must be a fraction in [0, 1]")]
    [InlineData(new[] { "backtest", "--frm", "2024-01-01" }, "unknown argument '--frm'")]
    [InlineData(new[] { "train", "--out" }, "--out needs a value")]
    [InlineData(new[] { "fly" }, "unknown verb 'fly'")]
    public void Cli_BadArguments_ExitTwoNamingTheFlag(string[] args, string message)
    {
        var error = new StringWriter();
        var withData = args.Select(a => a switch
        {
            "DATA" => RiskData.Path("BTCUSDT-1h.csv"),
            "FIVE" => RiskData.Path("BTCUSDT-5m.csv"),
            _ => a,
        }).ToArray();

        var code = Program.Run(withData, TextWriter.Null, error);

        Assert.Equal(2, code);
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
    }

    private string SavedModels()
    {
        var directory = Directory.CreateTempSubdirectory("aml-cli-").FullName;
        models.First.Save(directory);
        return directory;
    }
}
