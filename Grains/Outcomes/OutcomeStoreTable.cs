using System.Text.Json;
using System.Text.Json.Serialization;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;
using Npgsql;

namespace Aml.Orleans.Grains.Outcomes;

/// <summary>One row of the outcome store as the maturing and the verifier read it.</summary>
public sealed record StoredOutcome(
    string Digest,
    string PositionId,
    string Asset,
    DecisionKind Kind,
    Decision Decision,
    DecisionInputs? Inputs,
    DateTimeOffset DecidedAt,
    int HorizonHours,
    string? FinalStatus,
    DateTimeOffset? SettledAt,
    long? RealizedPnl,
    long? BadDebt,
    long? FillPriceE8,
    DateTimeOffset? MaturedAt,
    double? Mae,
    bool? Covered,
    bool? Liquidated);

/// <summary>How a position ended on-chain, as its final event says.</summary>
public sealed record Settlement(string PositionId, PositionStatus Status, DateTimeOffset At, string? TransactionHash, long RealizedPnl, long BadDebt, long? FillPriceE8);

/// <summary>
/// The outcome store (migration 0009, <c>aml_decision_outcome</c>): every OPEN and ADJUST with the exact inputs it was
/// computed from and its predictions, then how the position ended (<see cref="SettleAsync"/>) and, once the market's
/// candles cover the horizon, the max adverse excursion over it (<see cref="MatureAsync"/>). Writes are idempotent:
/// a decision recorded twice is one row, a settlement or a maturing applies once.
/// </summary>
public sealed partial class OutcomeStoreTable(NpgsqlDataSource dataSource)
{
    /// <summary>How the decision and the inputs are written as JSON: exact round trips, NaN features included.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    private const string Columns =
        "decision_digest, position_id, asset, kind, decision, inputs, decided_at, horizon_hours, final_status, settled_at, realized_pnl, " +
        "bad_debt, fill_price_e8, matured_at, mae, covered, liquidated, feature_bytes";

    /// <summary>Records a decision with its inputs (null when they were no longer held); false when it was recorded before.</summary>
    public async Task<bool> RecordAsync(string digest, Decision decision, DecisionInputs? inputs, int horizonHours, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decision);
        await using var command = dataSource.CreateCommand(
            "INSERT INTO aml_decision_outcome (decision_digest, position_id, asset, kind, is_long, model_hash, features_hash, decision, feature_bytes, " +
            "inputs, leverage_quantile, leverage_alpha, max_leverage_x100, maintenance_margin_bps, risk_score_bps, entry_price_e8, decided_at, horizon_hours) " +
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10::jsonb, $11, $12, $13, $14, $15, $16, $17, $18) ON CONFLICT (decision_digest) DO NOTHING");
        command.Parameters.AddWithValue(Hex.Decode(digest));
        command.Parameters.AddWithValue(decision.PositionId);
        command.Parameters.AddWithValue(decision.Asset);
        command.Parameters.AddWithValue(decision.Kind.ToString().ToUpperInvariant());
        command.Parameters.AddWithValue(decision.IsLong);
        command.Parameters.AddWithValue(Hex.Decode(decision.ModelHash));
        command.Parameters.AddWithValue(Hex.Decode(decision.FeaturesHash));
        command.Parameters.AddWithValue(JsonSerializer.Serialize(decision, Json));
        command.Parameters.AddWithValue((object?)inputs?.FeatureBytes ?? DBNull.Value);
        command.Parameters.AddWithValue(inputs is null ? DBNull.Value : JsonSerializer.Serialize(inputs, Json));
        command.Parameters.AddWithValue((object?)inputs?.LeverageQuantile ?? DBNull.Value);
        command.Parameters.AddWithValue((object?)inputs?.LeverageAlpha ?? DBNull.Value);
        command.Parameters.AddWithValue((int)decision.MaxLeverageX100);
        command.Parameters.AddWithValue((int)decision.MaintenanceMarginBps);
        command.Parameters.AddWithValue((int)decision.RiskScoreBps);
        command.Parameters.AddWithValue(decision.MarkPriceE8);
        command.Parameters.AddWithValue(DateTimeOffset.FromUnixTimeSeconds((long)decision.PriceTimestamp).UtcDateTime);
        command.Parameters.AddWithValue(horizonHours);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Writes how the position ended onto each of its decisions not settled yet; returns how many rows it settled.</summary>
    public async Task<int> SettleAsync(Settlement settlement, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settlement);
        await using var command = dataSource.CreateCommand(
            "UPDATE aml_decision_outcome SET final_status = $2, settled_at = $3, settle_tx_hash = $4, realized_pnl = $5, bad_debt = $6, fill_price_e8 = $7 " +
            "WHERE position_id = $1 AND final_status IS NULL");
        command.Parameters.AddWithValue(settlement.PositionId);
        command.Parameters.AddWithValue(settlement.Status.ToString().ToUpperInvariant());
        command.Parameters.AddWithValue(settlement.At.UtcDateTime);
        command.Parameters.AddWithValue(settlement.TransactionHash is null ? DBNull.Value : Hex.Decode(settlement.TransactionHash));
        command.Parameters.AddWithValue(settlement.RealizedPnl);
        command.Parameters.AddWithValue(settlement.BadDebt);
        command.Parameters.AddWithValue((object?)settlement.FillPriceE8 ?? DBNull.Value);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The asset's unmatured decisions whose horizon ends at or before <paramref name="coveredUntil"/>, oldest first.</summary>
    public Task<IReadOnlyList<StoredOutcome>> DueAsync(string asset, DateTimeOffset coveredUntil, CancellationToken cancellationToken = default) =>
        QueryAsync(
            "WHERE asset = $1 AND matured_at IS NULL AND decided_at + horizon_hours * interval '1 hour' <= $2 ORDER BY decided_at",
            cancellationToken, asset, coveredUntil.UtcDateTime);

    /// <summary>Writes a decision's matured outcome (once: a row matured before keeps its values).</summary>
    public async Task<bool> MatureAsync(string digest, DateTimeOffset maturedAt, double mae, bool? covered, bool liquidated, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE aml_decision_outcome SET matured_at = $2, mae = $3, covered = $4, liquidated = $5 WHERE decision_digest = $1 AND matured_at IS NULL");
        command.Parameters.AddWithValue(Hex.Decode(digest));
        command.Parameters.AddWithValue(maturedAt.UtcDateTime);
        command.Parameters.AddWithValue(mae);
        command.Parameters.AddWithValue((object?)covered ?? DBNull.Value);
        command.Parameters.AddWithValue(liquidated);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>The row of <paramref name="digest"/>, or null.</summary>
    public async Task<StoredOutcome?> GetAsync(string digest, CancellationToken cancellationToken = default) =>
        (await QueryAsync("WHERE decision_digest = $1", cancellationToken, Hex.Decode(digest))).SingleOrDefault();

    /// <summary>The rows of a position, oldest first.</summary>
    public Task<IReadOnlyList<StoredOutcome>> ForPositionAsync(string positionId, CancellationToken cancellationToken = default) =>
        QueryAsync("WHERE position_id = $1 ORDER BY decided_at, recorded_at", cancellationToken, positionId);

    private async Task<IReadOnlyList<StoredOutcome>> QueryAsync(string where, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM aml_decision_outcome {where}");
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        var rows = new List<StoredOutcome>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new StoredOutcome(
                Hex.Encode(reader.GetFieldValue<byte[]>(0)), reader.GetString(1), reader.GetString(2),
                Enum.Parse<DecisionKind>(reader.GetString(3), ignoreCase: true),
                JsonSerializer.Deserialize<Decision>(reader.GetString(4), Json)!,
                // The canonical bytes are their own column (what featuresHash is over); the JSON copy is not trusted.
                reader.IsDBNull(5) || reader.IsDBNull(17) ? null
                    : JsonSerializer.Deserialize<DecisionInputs>(reader.GetString(5), Json)! with { FeatureBytes = reader.GetFieldValue<byte[]>(17) },
                Utc(reader.GetDateTime(6)), reader.GetInt32(7),
                reader.IsDBNull(8) ? null : reader.GetString(8), reader.IsDBNull(9) ? null : Utc(reader.GetDateTime(9)),
                reader.IsDBNull(10) ? null : reader.GetInt64(10), reader.IsDBNull(11) ? null : reader.GetInt64(11),
                reader.IsDBNull(12) ? null : reader.GetInt64(12), reader.IsDBNull(13) ? null : Utc(reader.GetDateTime(13)),
                reader.IsDBNull(14) ? null : reader.GetDouble(14), reader.IsDBNull(15) ? null : reader.GetBoolean(15),
                reader.IsDBNull(16) ? null : reader.GetBoolean(16)));
        }

        return rows;
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
