using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Risk;

namespace Aml.Orleans.Grains.Risk;

/// <summary>
/// The champion's live coverage per side over its last <see cref="RiskOptions.DriftWindow"/> matured decisions. A side
/// whose coverage falls below the target by more than <see cref="RiskOptions.DriftMargin"/> goes to the conservative
/// fallback (<see cref="ConservativePolicy"/>); it returns once coverage is back within
/// <see cref="RiskOptions.DriftRecovery"/> of the target. Fewer matured decisions than the window leave a side as it is:
/// a handful of misses is no evidence either way. Plain: the risk grain owns one and keeps its two flags in its state;
/// the engine workers price by them (<see cref="RiskPricing.Bounds(MarketBounds, RiskFallback, bool, float[])"/>).
/// </summary>
public sealed class DriftWatch(RiskOptions options, double target)
{
    /// <summary>Whether each side serves the fallback now (the risk grain hands it to the engine workers in its <see cref="RiskServing"/>).</summary>
    public RiskFallback Fallback { get; private set; } = RiskFallback.None;

    private SideDrift _long = new(0, null, false);
    private SideDrift _short = new(0, null, false);

    /// <summary>Restores the flags a previous activation left.</summary>
    public void Restore(bool longFallback, bool shortFallback)
    {
        Fallback = new RiskFallback(longFallback, shortFallback);
        _long = _long with { Fallback = longFallback };
        _short = _short with { Fallback = shortFallback };
    }

    /// <summary>Whether <paramref name="isLong"/>'s side is in fallback.</summary>
    public bool InFallback(bool isLong) => Fallback.Side(isLong);

    /// <summary>
    /// Takes a side's latest window (<paramref name="matured"/> decisions, <paramref name="covered"/> of them covered,
    /// newest <see cref="RiskOptions.DriftWindow"/> at most) and returns the side's state; true in <c>Changed</c> when the
    /// side entered or left the fallback.
    /// </summary>
    public (SideDrift Side, bool Changed) Observe(bool isLong, int matured, int covered)
    {
        if (matured < 0 || covered < 0 || covered > matured)
        {
            throw new ArgumentOutOfRangeException(nameof(covered), $"covered {covered} of {matured} matured decisions");
        }

        var was = InFallback(isLong);
        double? coverage = matured == 0 ? null : covered / (double)matured;
        var now = was;
        if (matured >= options.DriftWindow && coverage is { } c)
        {
            now = was ? c < target - options.DriftRecovery : c < target - options.DriftMargin;
        }

        var side = new SideDrift(matured, coverage, now);
        if (isLong)
        {
            _long = side;
            Fallback = Fallback with { Long = now };
        }
        else
        {
            _short = side;
            Fallback = Fallback with { Short = now };
        }

        return (side, now != was);
    }

    /// <summary>The watch as the admin API shows it.</summary>
    public DriftStatus Status(string asset, string modelHash) =>
        new(asset, modelHash, target, options.DriftMargin, options.DriftRecovery, options.DriftWindow, _long, _short);
}
