using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Risk;
using Npgsql;

namespace Aml.Orleans.Grains.Outcomes;

/// <summary>A recorded decision the shadow challenger has not scored yet: its digest and exact inputs.</summary>
public sealed record UnscoredDecision(string Digest, DecisionInputs Inputs);

/// <summary>
/// The shadow predictions (migration 0012, <c>aml_shadow_prediction</c>): what a challenger would have decided for each
/// decision the champion made while it ran in shadow, beside the champion's own row in the outcome store, and the matured
/// pairs the trainer judges it on. Writes are idempotent: a decision scored twice by one challenger is one row.
/// </summary>
public sealed class ShadowStoreTable(NpgsqlDataSource dataSource)
{
    /// <summary>The database's clock: a shadow run starts at it, and the decisions recorded from then on are its to score.</summary>
    public async Task<DateTimeOffset> NowAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT now()");
        return new DateTimeOffset(DateTime.SpecifyKind((DateTime)(await command.ExecuteScalarAsync(cancellationToken))!, DateTimeKind.Utc));
    }

    /// <summary>
    /// The asset's decisions recorded since <paramref name="since"/> (database time) with their inputs, made by another
    /// set than <paramref name="challengerHash"/>, that it has not scored yet; oldest first, at most <paramref name="limit"/>.
    /// </summary>
    public async Task<IReadOnlyList<UnscoredDecision>> UnscoredAsync(
        string asset, string challengerHash, DateTimeOffset since, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT o.decision_digest, o.inputs, o.feature_bytes FROM aml_decision_outcome o
            WHERE o.asset = $1 AND o.recorded_at >= $2 AND o.inputs IS NOT NULL AND o.model_hash <> $3
              AND NOT EXISTS (SELECT 1 FROM aml_shadow_prediction s WHERE s.decision_digest = o.decision_digest AND s.model_hash = $3)
            ORDER BY o.recorded_at, o.decision_digest LIMIT $4
            """);
        command.Parameters.AddWithValue(asset);
        command.Parameters.AddWithValue(since.UtcDateTime);
        command.Parameters.AddWithValue(Hex.Decode(challengerHash));
        command.Parameters.AddWithValue(limit);
        var rows = new List<UnscoredDecision>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var inputs = System.Text.Json.JsonSerializer.Deserialize<DecisionInputs>(reader.GetString(1), OutcomeStoreTable.Json)!;
            rows.Add(new UnscoredDecision(Hex.Encode(reader.GetFieldValue<byte[]>(0)), inputs with { FeatureBytes = reader.GetFieldValue<byte[]>(2) }));
        }

        return rows;
    }

    /// <summary>Stores the challenger's predictions of decisions in one statement (each once); returns how many were new.</summary>
    public async Task<int> RecordAsync(
        string challengerHash, string asset, IReadOnlyList<(string Digest, LivePrediction Prediction)> predictions, DateTimeOffset scoredAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        if (predictions.Count == 0)
        {
            return 0;
        }

        await using var command = dataSource.CreateCommand("""
            INSERT INTO aml_shadow_prediction (decision_digest, model_hash, asset, leverage_alpha, leverage_quantile, max_leverage_x100,
                                               maintenance_margin_bps, risk_score_bps, scored_at)
            SELECT d, $2, $3, a, q, l, m, r, $9 FROM unnest($1::bytea[], $4::float8[], $5::float8[], $6::int[], $7::int[], $8::int[]) AS t(d, a, q, l, m, r)
            ON CONFLICT DO NOTHING
            """);
        command.Parameters.AddWithValue(predictions.Select(p => Hex.Decode(p.Digest)).ToArray());
        command.Parameters.AddWithValue(Hex.Decode(challengerHash));
        command.Parameters.AddWithValue(asset);
        command.Parameters.AddWithValue(predictions.Select(p => p.Prediction.Alpha).ToArray());
        command.Parameters.AddWithValue(predictions.Select(p => p.Prediction.Quantile).ToArray());
        command.Parameters.AddWithValue(predictions.Select(p => (int)p.Prediction.MaxLeverageX100).ToArray());
        command.Parameters.AddWithValue(predictions.Select(p => (int)p.Prediction.MaintenanceMarginBps).ToArray());
        command.Parameters.AddWithValue(predictions.Select(p => (int)p.Prediction.RiskScoreBps).ToArray());
        command.Parameters.AddWithValue(scoredAt.UtcDateTime);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The matured decisions <paramref name="championHash"/> made for <paramref name="asset"/> that
    /// <paramref name="challengerHash"/> scored in shadow, both predictions each, in decision order.
    /// </summary>
    public async Task<IReadOnlyList<ShadowPair>> MaturedPairsAsync(string asset, string championHash, string challengerHash, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT o.is_long, o.mae, (o.inputs->>'RequestedLeverage')::float8,
                   o.leverage_alpha, o.leverage_quantile, o.max_leverage_x100, o.maintenance_margin_bps, o.risk_score_bps,
                   s.leverage_alpha, s.leverage_quantile, s.max_leverage_x100, s.maintenance_margin_bps, s.risk_score_bps
            FROM aml_decision_outcome o JOIN aml_shadow_prediction s ON s.decision_digest = o.decision_digest AND s.model_hash = $3
            WHERE o.asset = $1 AND o.model_hash = $2 AND o.matured_at IS NOT NULL AND o.leverage_quantile IS NOT NULL
            ORDER BY o.decided_at, o.decision_digest
            """);
        command.Parameters.AddWithValue(asset);
        command.Parameters.AddWithValue(Hex.Decode(championHash));
        command.Parameters.AddWithValue(Hex.Decode(challengerHash));
        var pairs = new List<ShadowPair>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            pairs.Add(new ShadowPair(reader.GetBoolean(0), reader.GetDouble(1), reader.GetDouble(2), Prediction(reader, 3), Prediction(reader, 8)));
        }

        return pairs;
    }

    private static LivePrediction Prediction(NpgsqlDataReader reader, int at) => new(
        reader.GetDouble(at), reader.GetDouble(at + 1), (uint)reader.GetInt32(at + 2), (uint)reader.GetInt32(at + 3), (ushort)reader.GetInt32(at + 4));
}
