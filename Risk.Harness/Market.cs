using Aml.Orleans.Risk.Backtest;

namespace Aml.Orleans.Risk.Harness;

/// <summary>One asset's window as `./aml backtest` sees it on hourly bars: tape, decision points, the seed-7 order flow, bounds.</summary>
internal sealed record Market(string Asset, CandleSeries Hourly, MarketTape Tape, List<DecisionPoint> Points, List<SimulatedPosition> Positions, MarketBounds Bounds)
{
    public static Market Load(string root, string asset, DateTimeOffset from, DateTimeOffset to)
    {
        var hourly = CandleLoader.Load(Path.Combine(root, "data", "market", $"{asset}USDT-1h.csv"));
        var tape = new MarketTape(hourly);
        var points = DecisionPoints.Build(tape, from, to);
        // The CLI's listed bounds (Cli/BacktestVerb.BoundsOf), derived for an unlisted asset.
        var bounds = hourly.Asset switch
        {
            "BTC-USD" or "ETH-USD" => new MarketBounds(100, 5_000, 50, 2_500, 100),
            "SOL-USD" => new MarketBounds(100, 2_500, 100, 2_500, 150),
            "DOGE-USD" => new MarketBounds(100, 1_000, 200, 2_500, 200),
            _ => AmlPolicy.DeriveBounds(hourly, from),
        };
        return new Market(asset, hourly, tape, points, TraderMix.Draw(points, seed: 7), bounds);
    }
}
