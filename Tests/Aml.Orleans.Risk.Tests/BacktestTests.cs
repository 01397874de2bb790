using System.Text.Json;
using Aml.Orleans.Cli;
using Aml.Orleans.Risk.Backtest;

namespace Aml.Orleans.Risk.Tests;

public sealed class BacktestTests(RiskModelSetTests.Models models) : IClassFixture<RiskModelSetTests.Models>
{
    private static readonly MarketBounds Btc = new(100, 5_000, 50, 2_500, 100);
    private static readonly DateTimeOffset From = RiskModelSetTests.Models.TrainTo;

    [Fact]
    public void Run_SmallRealSlice_ThreePoliciesWithSaneMetrics()
    {
        var result = Backtester.Run(RiskData.Btc, From, From.AddDays(30), models.First, Btc, [Policy.Static, Policy.VolScaled, Policy.Aml]);

        Assert.Equal(["static", "volscaled", "aml"], result.Policies.Select(p => p.Policy));
        Assert.All(result.Policies, p =>
        {
            Assert.True(p.Positions > 1_000, $"{p.Policy}: {p.Positions} positions");
            Assert.InRange(p.LiquidationRate, 0, 1);
            Assert.True(p.BadDebtBps >= 0);
            Assert.InRange(p.Coverage, 0, 1);
            Assert.InRange(p.MeanLeverage, 1, 50);
        });
        Assert.True(result.Policies[0].MeanLeverage <= 20, "static never exceeds its 20x tier");
        Assert.Equal(models.First.ModelHash, result.ModelHash);
    }

    [Fact]
    public void Run_TighterBounds_NoPolicyAboveTheMarketCap()
    {
        var tight = Btc with { MaxLeverageX100 = 300 };

        var result = Backtester.Run(RiskData.Btc, From, From.AddDays(10), models.First, tight, [Policy.Static, Policy.VolScaled, Policy.Aml]);

        Assert.All(result.Policies, p => Assert.True(p.MeanLeverage <= 3, $"{p.Policy}: {p.MeanLeverage}"));
    }

    [Fact]
    public void Cli_BacktestJson_LastLineHoldsTheRiskMdFields()
    {
        var directory = Directory.CreateTempSubdirectory("aml-cli-").FullName;
        try
        {
            models.First.Save(directory);
            var output = new StringWriter();

            var code = Program.Run(["backtest", "--data", RiskData.Path("BTCUSDT-1h.csv"), "--from", "2022-01-01", "--to", "2022-01-15", "--models", directory, "--json"], output, TextWriter.Null);

            Assert.Equal(0, code);
            using var json = JsonDocument.Parse(output.ToString().TrimEnd().Split('\n')[^1]);
            var root = json.RootElement;
            Assert.Equal("BTC-USD", root.GetProperty("asset").GetString());
            Assert.Equal(models.First.ModelHash, root.GetProperty("modelHash").GetString());
            foreach (var policy in root.GetProperty("policies").EnumerateArray())
            {
                foreach (var field in (string[])["policy", "positions", "liquidationRate", "badDebtBps", "meanLeverage", "coverage", "worstLossBps"])
                {
                    Assert.True(policy.TryGetProperty(field, out _), $"missing {field}");
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(new[] { "backtest" }, "--data <csv> is required")]
    [InlineData(new[] { "backtest", "--data", "nope.csv" }, "--data nope.csv: no such file")]
    [InlineData(new[] { "backtest", "--data", "DATA", "--policy", "best", "--json" }, "--policy 'best' is not one of")]
    [InlineData(new[] { "backtest", "--frm", "2024-01-01" }, "unknown argument '--frm'")]
    [InlineData(new[] { "train", "--out" }, "--out needs a value")]
    [InlineData(new[] { "fly" }, "unknown verb 'fly'")]
    public void Cli_BadArguments_ExitTwoNamingTheFlag(string[] args, string message)
    {
        var error = new StringWriter();
        var withData = args.Select(a => a == "DATA" ? RiskData.Path("BTCUSDT-1h.csv") : a).ToArray();

        var code = Program.Run(withData, TextWriter.Null, error);

        Assert.Equal(2, code);
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
    }
}
