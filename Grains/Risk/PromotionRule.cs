namespace Aml.Orleans.Grains.Risk;

/// <summary>A matured decision as the champion made it and the shadow challenger would have.</summary>
public sealed record ShadowPair(bool IsLong, double Mae, double RequestedLeverage, LivePrediction Champion, LivePrediction Challenger);

/// <summary>What the shadow comparison concludes.</summary>
public enum ShadowVerdict
{
    /// <summary>Fewer matured decisions than the rule needs on a side: keep scoring.</summary>
    Wait,

    /// <summary>The challenger beats the champion on every measure: propose it on-chain.</summary>
    Promote,

    /// <summary>The challenger lost on a measure: retire it.</summary>
    Reject,
}

/// <summary>The verdict, why, and both scores on the same decisions (null while waiting with none matured).</summary>
public sealed record ShadowJudgement(ShadowVerdict Verdict, string Reason, LiveScore? Champion, LiveScore? Challenger);

/// <summary>
/// When a shadow challenger replaces the champion: once at least <paramref name="decisionsPerSide"/> decisions per side
/// have matured with both predictions, the challenger must, over exactly the first that many of each side, have on each
/// side a lower pinball loss and cover at least as much as the champion or at least the target, and have a lower Brier
/// score over both sides. Anything less rejects it: the verdict is taken once, on the first full sample, so a challenger cannot be waited on until noise favours it.
/// </summary>
public sealed class PromotionRule(int decisionsPerSide, double targetCoverage)
{
    /// <summary>Matured decisions each side needs before a verdict.</summary>
    public int DecisionsPerSide { get; } = decisionsPerSide > 0
        ? decisionsPerSide
        : throw new ArgumentOutOfRangeException(nameof(decisionsPerSide), decisionsPerSide, "a verdict needs at least one matured decision per side");

    /// <summary>Judges the matured pairs, given in decision order: the first <see cref="DecisionsPerSide"/> of each side count.</summary>
    public ShadowJudgement Judge(IReadOnlyCollection<ShadowPair> matured)
    {
        ArgumentNullException.ThrowIfNull(matured);
        var pairs = matured.Where(p => p.IsLong).Take(DecisionsPerSide).Concat(matured.Where(p => !p.IsLong).Take(DecisionsPerSide)).ToList();
        var champion = LiveScoring.Score([.. pairs.Select(p => new MaturedPrediction(p.IsLong, p.Mae, p.RequestedLeverage, p.Champion))]);
        var challenger = LiveScoring.Score([.. pairs.Select(p => new MaturedPrediction(p.IsLong, p.Mae, p.RequestedLeverage, p.Challenger))]);
        var (longs, shorts) = (champion.Long.Count, champion.Short.Count);
        if (longs < DecisionsPerSide || shorts < DecisionsPerSide)
        {
            return new ShadowJudgement(ShadowVerdict.Wait, $"{longs} long and {shorts} short decisions matured in shadow; the verdict needs {DecisionsPerSide} per side", champion, challenger);
        }

        var losses = new List<string>();
        foreach (var isLong in (bool[])[true, false])
        {
            var (name, k, c) = (isLong ? "long" : "short", champion.Side(isLong), challenger.Side(isLong));
            if (!(c.Pinball < k.Pinball))
            {
                losses.Add(FormattableString.Invariant($"{name} pinball {c.Pinball:F6} ≥ champion's {k.Pinball:F6}"));
            }

            if (c.Coverage < Math.Min(k.Coverage, targetCoverage))
            {
                losses.Add(FormattableString.Invariant($"{name} coverage {c.Coverage:P1} below the champion's {k.Coverage:P1} and the target {targetCoverage:P0}"));
            }
        }

        if (!(challenger.Brier < champion.Brier))
        {
            losses.Add(FormattableString.Invariant($"Brier {challenger.Brier:F6} ≥ champion's {champion.Brier:F6}"));
        }

        return losses.Count == 0
            ? new ShadowJudgement(ShadowVerdict.Promote, $"beats the champion over {longs} long and {shorts} short matured decisions: {challenger} vs {champion}", champion, challenger)
            : new ShadowJudgement(ShadowVerdict.Reject, $"loses over {longs} long and {shorts} short matured decisions: {string.Join("; ", losses)} ({challenger} vs {champion})", champion, challenger);
    }
}
