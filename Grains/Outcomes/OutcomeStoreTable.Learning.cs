using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Risk;

namespace Aml.Orleans.Grains.Outcomes;

/// <summary>What the learning loop reads from the outcome store: the drift watch's window and the risk score's real labels.</summary>
public sealed partial class OutcomeStoreTable
{
    /// <summary>
    /// Of the newest <paramref name="window"/> matured decisions <paramref name="modelHash"/> made on one side of
    /// <paramref name="asset"/> (those whose coverage is known), how many there are and how many the quantile covered.
    /// </summary>
    public async Task<(int Matured, int Covered)> RecentCoverageAsync(string asset, string modelHash, bool isLong, int window, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT count(*), count(*) FILTER (WHERE covered) FROM (
                SELECT covered FROM aml_decision_outcome
                WHERE asset = $1 AND model_hash = $2 AND is_long = $3 AND matured_at IS NOT NULL AND covered IS NOT NULL
                ORDER BY decided_at DESC, decision_digest DESC LIMIT $4) newest
            """);
        command.Parameters.AddWithValue(asset);
        command.Parameters.AddWithValue(Hex.Decode(modelHash));
        command.Parameters.AddWithValue(isLong);
        command.Parameters.AddWithValue(window);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return ((int)reader.GetInt64(0), (int)reader.GetInt64(1));
    }

    /// <summary>
    /// The asset's matured decisions with their inputs, as risk-score training rows: the market at the decision, the side,
    /// the leverage the position took (asked for, capped) and its maintenance margin, and whether it was liquidated within
    /// the horizon or its excursion reached the liquidation distance. Oldest first.
    /// </summary>
    public async Task<IReadOnlyList<LiveOutcome>> MaturedOutcomesAsync(string asset, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT decided_at, inputs, mae, liquidated, max_leverage_x100, maintenance_margin_bps FROM aml_decision_outcome
            WHERE asset = $1 AND matured_at IS NOT NULL AND inputs IS NOT NULL ORDER BY decided_at, decision_digest
            """);
        command.Parameters.AddWithValue(asset);
        var rows = new List<LiveOutcome>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var inputs = System.Text.Json.JsonSerializer.Deserialize<DecisionInputs>(reader.GetString(1), Json)!;
            var leverage = Math.Min(inputs.RequestedLeverage, reader.GetInt32(4) / 100.0);
            var margin = reader.GetInt32(5) / 10_000.0;
            var reached = reader.GetDouble(2) >= (1 / leverage) - margin;
            rows.Add(new LiveOutcome(Utc(reader.GetDateTime(0)), inputs.MarketFeatures, inputs.IsLong, leverage, margin, reached || reader.GetBoolean(3)));
        }

        return rows;
    }
}
