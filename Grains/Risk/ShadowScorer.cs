using Aml.Orleans.Grains.Outcomes;
using Aml.Orleans.Risk;

namespace Aml.Orleans.Grains.Risk;

/// <summary>
/// A challenger in shadow: it scores every decision the champion makes from the decision's exact recorded inputs (the
/// market features, the position, the bounds it was clamped to) and stores its prediction beside the champion's; it
/// never acts. Scoring from the outcome store rather than on the quote path costs the quotes nothing, and since a model
/// set is deterministic the prediction is the one it would have made at the time. Owned by the risk grain.
/// </summary>
internal sealed class ShadowScorer(RiskModelSet challenger, DateTimeOffset since, ShadowStoreTable store, TimeProvider clock) : IDisposable
{
    /// <summary>Decisions read per round trip.</summary>
    private const int Batch = 500;

    private readonly RiskEngine _engine = new(challenger);

    /// <summary>The challenger's hash.</summary>
    public string ModelHash => challenger.ModelHash;

    /// <summary>Scores the decisions recorded for <paramref name="asset"/> since the shadow began that it has not scored; returns how many.</summary>
    public async Task<int> ScoreNewAsync(string asset)
    {
        var scored = 0;
        while (true)
        {
            var batch = await store.UnscoredAsync(asset, ModelHash, since, Batch);
            var predictions = batch.Select(decision => (decision.Digest, Predict(decision.Inputs))).ToList();
            scored += await store.RecordAsync(ModelHash, asset, predictions, clock.GetUtcNow());

            if (batch.Count < Batch)
            {
                return scored;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _engine.Dispose();

    // What the challenger decides for the decision's exact input, within the bounds the champion was clamped to.
    private LivePrediction Predict(Interfaces.DecisionInputs inputs)
    {
        var b = inputs.Bounds;
        var output = _engine.Assess(Audit.DecisionVerifier.Input(inputs), new MarketBounds(b[0], b[1], b[2], b[3], b[4]));
        return new LivePrediction(output.LeverageAlpha, output.LeverageQuantile, output.MaxLeverageX100, output.MaintenanceMarginBps, output.RiskScoreBps);
    }
}
