using System.Globalization;
using Aml.Orleans.Risk;
using Aml.Orleans.Risk.Backtest;
using Aml.Orleans.Risk.Harness;

// AML_ROOT=<worktree> dotnet Risk.Harness/bin/Release/net10.0/Aml.Orleans.Risk.Harness.dll <BTC|ETH|SOL> <from> <to> <variant>...
// A variant is comma-separated keys (README.md): engine options mc=, rho=, gamma=; caps=<model|const>[+regimes][+floor]
// and margin=vol (the quantile recomputed outside the engine); and what to print: nothing (the equal-leverage
// comparison at α = 0.05), rank, who, along (every knob), lambda (H8), oracle (volscaled with tomorrow's σ).
var root = Environment.GetEnvironmentVariable("AML_ROOT") ?? Directory.GetCurrentDirectory();
var (asset, from, to) = (args[0], DateTimeOffset.Parse(args[1], CultureInfo.InvariantCulture), DateTimeOffset.Parse(args[2], CultureInfo.InvariantCulture));
var market = Market.Load(root, asset, from, to);
var cache = Path.Combine(root, "Risk.Harness", "cache");
var volscaled = new Lazy<List<FrontierPoint>>(() => Runner.VolScaledFrontier(market));
foreach (var variant in args[3..])
{
    var settings = variant.Split(',').Select(kv => kv.Split('=')).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "");
    if (settings.ContainsKey("skill"))
    {
        // D4 needs no model set: the forecasts are fitted here, walk-forward.
        Skill.Report(market, root, settings["skill"] == "ablate");
        continue;
    }

    var (segments, sets) = WalkForwardSets.Get(market, cache);
    if (settings.ContainsKey("rank"))
    {
        Ranking.Report(market, segments, sets);
        continue;
    }

    double? Number(string key) => settings.TryGetValue(key, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : null;
    var options = new RiskEngineOptions
    {
        MarginCoverage = Number("mc"),
        Forgetting = Number("rho") ?? 0,
        AdaptationRate = Number("gamma") ?? new RiskEngineOptions().AdaptationRate,
    };
    var terms = Runner.AmlTerms(market, segments, sets, options);
    if (settings.TryGetValue("caps", out var caps))
    {
        // H6/H7/H9's quantile recomputed outside the engine, with the engine's ACI step and forgetting.
        var mode = new CustomCaps.Mode(
            ConstantScale: caps.StartsWith("const", StringComparison.Ordinal), Regimes: caps.Contains("+regimes", StringComparison.Ordinal),
            Gamma: options.AdaptationRate, SigmaFloor: caps.Contains("+floor", StringComparison.Ordinal), Forgetting: options.Forgetting,
            DebtLimit: Number("debt") ?? 2);
        // margin=vol: volscaled's 1 % + penalty for every position (the cap's room, the quantile, kept).
        var margins = settings.GetValueOrDefault("margin") == "vol"
            ? [.. terms[0].Select(_ => new Terms(0, 0.01 + (market.Bounds.LiquidationFeeBps / 10_000.0)))]
            : terms[0];
        terms = CustomCaps.Terms(market, segments, sets, margins, mode);
    }

    if (settings.ContainsKey("lambda"))
    {
        Console.WriteLine($"{asset} {variant}: H8, knob λ\n{Runner.Along(market, MarginalCaps.Lambdas, MarginalCaps.Terms(market, segments, sets, terms[0]), volscaled.Value)}");
        continue;
    }

    if (settings.ContainsKey("along"))
    {
        Console.WriteLine($"{asset} {variant}: knob α\n{Runner.Along(market, AmlPolicy.Knobs, terms, volscaled.Value)}");
        continue;
    }

    if (settings.ContainsKey("oracle"))
    {
        Oracle.Report(market, terms[AmlPolicy.Knobs.ToList().IndexOf(AmlPolicy.DefaultKnob)], volscaled.Value, Number("oracle") ?? 1);
        continue;
    }

    if (settings.TryGetValue("forecast", out var forecastName))
    {
        ForecastPolicy.Report(market, root, terms[AmlPolicy.Knobs.ToList().IndexOf(AmlPolicy.DefaultKnob)], volscaled.Value, forecastName);
        continue;
    }

    if (settings.ContainsKey("who"))
    {
        Who.Report(market, terms[AmlPolicy.Knobs.ToList().IndexOf(AmlPolicy.DefaultKnob)]);
        continue;
    }

    Console.WriteLine($"{asset} {variant,-40} {Runner.Format(Runner.Compare(market, terms, volscaled.Value))}");
}
