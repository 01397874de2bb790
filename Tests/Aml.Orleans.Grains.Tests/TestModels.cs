using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Risk;

namespace Aml.Orleans.Grains.Tests;

/// <summary>Real model sets and market data for the grain tests: trained in seconds on real BTC history.</summary>
public static class TestModels
{
    /// <summary>The training window of <see cref="TrainBtc"/>; candles after it feed the markets under test.</summary>
    public static readonly DateTimeOffset TrainTo = new(2022, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly Lazy<CandleSeries> LazyBtc = new(() => CandleLoader.Load(DataFile("BTCUSDT-1h.csv")));

    /// <summary>The BTC hourly history.</summary>
    public static CandleSeries Btc => LazyBtc.Value;

    /// <summary>A small BTC model set (2021, 40 trees).</summary>
    public static RiskModelSet TrainBtc(int trees = 40) =>
        RiskModelSet.Train(Btc, TrainTo.AddYears(-1), TrainTo, new RiskTrainingOptions { Trees = trees });

    /// <summary>The markets as <c>./aml deploy</c> lists them.</summary>
    public static Dictionary<string, MarketTerms> Catalog() => new(StringComparer.Ordinal)
    {
        ["BTC-USD"] = new MarketTerms(5_000, 50, 2_500, 250, 100, 120, 900),
        ["ETH-USD"] = new MarketTerms(5_000, 50, 2_500, 250, 100, 120, 900),
        ["SOL-USD"] = new MarketTerms(2_500, 100, 2_500, 250, 150, 120, 900),
    };

    /// <summary>The candles after training, as the market grain takes them.</summary>
    public static IEnumerable<MarketCandle> CandlesAfterTraining(int count) =>
        Btc.Between(TrainTo, TrainTo.AddDays(60)).Take(count).Select(c => c.ToMarketCandle());

    /// <summary>A file of the repository's data/market.</summary>
    public static string DataFile(string name) => Path.Combine(Chain.AnvilChain.RepositoryRoot(), "data", "market", name);
}
