using Aml.Orleans.Ethereum;
using Npgsql;

namespace Aml.Orleans.Grains.Storage;

/// <summary>A model set's live coverage on one side: matured decisions since its promotion and how many it covered.</summary>
public sealed record SideCoverage(long Matured, long Covered)
{
    /// <summary>The share covered, or null before any decision matured.</summary>
    public double? Coverage => Matured == 0 ? null : (double)Covered / Matured;
}

/// <summary>
/// A promoted model's card: what it is (its <c>model.json</c>: training window and data, validation metrics, the card's
/// statements) and how it has done live since promotion (coverage of its 24 h quantile per side, from the outcome store).
/// </summary>
public sealed record ModelCard(string Asset, string ModelHash, DateTimeOffset PromotedAt, Aml.Orleans.Risk.ModelManifest Manifest, SideCoverage Long, SideCoverage Short);

/// <summary>
/// Model cards (migration 0010, with the model and outcome stores): <see cref="PromotedAsync"/> records when a set began
/// serving an asset, <see cref="ListAsync"/> reads every promoted set's card with its live coverage.
/// </summary>
public sealed class ModelCards(NpgsqlDataSource dataSource)
{
    /// <summary>Records that <paramref name="modelHash"/> serves <paramref name="asset"/> from <paramref name="at"/>, unless it did before.</summary>
    public async Task PromotedAsync(string asset, string modelHash, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO aml_model_promotion (asset, model_hash, promoted_at) VALUES ($1, $2, $3) ON CONFLICT (asset, model_hash) DO NOTHING");
        command.Parameters.AddWithValue(asset);
        command.Parameters.AddWithValue(ModelStoreTable.ParseHash(modelHash));
        command.Parameters.AddWithValue(at.UtcDateTime);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The cards of every set promoted for <paramref name="asset"/> (every asset when null), newest promotion first.</summary>
    public async Task<IReadOnlyList<ModelCard>> ListAsync(string? asset, CancellationToken cancellationToken = default)
    {
        // Coverage per side over the decisions made with the set for the asset since its promotion that have matured.
        await using var command = dataSource.CreateCommand("""
            SELECT p.asset, p.model_hash, p.promoted_at, s.manifest,
                   count(o.covered) FILTER (WHERE o.is_long), count(o.covered) FILTER (WHERE o.is_long AND o.covered),
                   count(o.covered) FILTER (WHERE NOT o.is_long), count(o.covered) FILTER (WHERE NOT o.is_long AND o.covered)
            FROM aml_model_promotion p
            JOIN aml_model_set s ON s.model_hash = p.model_hash
            LEFT JOIN aml_decision_outcome o ON o.model_hash = p.model_hash AND o.asset = p.asset AND o.decided_at >= p.promoted_at AND o.matured_at IS NOT NULL
            WHERE $1::text IS NULL OR p.asset = $1
            GROUP BY p.asset, p.model_hash, p.promoted_at, s.manifest
            ORDER BY p.promoted_at DESC, p.asset
            """);
        command.Parameters.AddWithValue((object?)asset ?? DBNull.Value);
        var cards = new List<ModelCard>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var manifest = System.Text.Json.JsonSerializer.Deserialize<Aml.Orleans.Risk.ModelManifest>(reader.GetString(3))
                           ?? throw new InvalidDataException($"model store: the manifest of {Hex.Encode(reader.GetFieldValue<byte[]>(1))} is empty");
            cards.Add(new ModelCard(reader.GetString(0), Hex.Encode(reader.GetFieldValue<byte[]>(1)),
                new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(2), DateTimeKind.Utc)), manifest,
                new SideCoverage(reader.GetInt64(4), reader.GetInt64(5)), new SideCoverage(reader.GetInt64(6), reader.GetInt64(7))));
        }

        return cards;
    }
}
