using System.Globalization;
using System.Text.Json;
using Aml.Orleans.Grains.Storage;
using Npgsql;

namespace Aml.Orleans.Cli;

/// <summary>
/// <c>aml models [--asset A] [--postgres &lt;cs&gt;] [--json]</c>: the card of every model set that served an asset, from
/// the model and outcome stores: training window and data, validation metrics, live coverage per side since promotion.
/// </summary>
internal static class ModelsVerb
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output)
    {
        var a = new Arguments(args, ["--asset", "--postgres"], ["--json"]);
        var asset = a.One("--asset");
        if (asset is not null && !Grains.Interfaces.AssetSymbol.TryParse(asset, out _))
        {
            throw new UsageException($"--asset '{asset}' is not an asset symbol like ETH-USD");
        }

        await using var dataSource = NpgsqlDataSource.Create(ModelStoreConnection.Resolve(a.One("--postgres")));
        var cards = await new ModelCards(dataSource).ListAsync(asset);
        if (a.Has("--json"))
        {
            output.WriteLine(JsonSerializer.Serialize(cards.Select(c => new
            {
                c.Asset, c.ModelHash, promotedAt = c.PromotedAt.ToString("O", CultureInfo.InvariantCulture), trainedOn = c.Manifest.Assets, c.Manifest.Pooled,
                trainedFrom = c.Manifest.TrainedFrom.ToString("O", CultureInfo.InvariantCulture), validationFrom = c.Manifest.ValidationFrom.ToString("O", CultureInfo.InvariantCulture),
                trainedTo = c.Manifest.TrainedTo.ToString("O", CultureInfo.InvariantCulture), c.Manifest.Samples, validationMetrics = c.Manifest.Metrics,
                statements = c.Manifest.ModelCard, targetCoverage = c.Manifest.LeverageCoverage,
                liveLong = new { c.Long.Matured, c.Long.Covered, c.Long.Coverage }, liveShort = new { c.Short.Matured, c.Short.Covered, c.Short.Coverage },
            }), Json));
            return 0;
        }

        if (cards.Count == 0)
        {
            output.WriteLine($"no model set has served {asset ?? "any asset"} yet");
        }

        foreach (var c in cards)
        {
            var m = c.Manifest;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{c.Asset} {c.ModelHash} serving since {c.PromotedAt:yyyy-MM-dd HH:mm}Z: trained on {string.Join('+', m.Assets)}{(m.Pooled ? " (pooled)" : "")} " +
                $"{m.TrainedFrom:yyyy-MM-dd}..{m.TrainedTo:yyyy-MM-dd} ({m.Samples} hours; validated from {m.ValidationFrom:yyyy-MM-dd})"));
            output.WriteLine("  validation: " + string.Join(", ", m.Metrics.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}={p.Value:0.####}"))));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  live coverage since promotion (target {m.LeverageCoverage:P0}): long {Side(c.Long)}, short {Side(c.Short)}"));
        }

        return 0;
    }

    private static string Side(SideCoverage side) => side.Coverage is { } coverage
        ? string.Create(CultureInfo.InvariantCulture, $"{side.Covered}/{side.Matured} ({coverage:P1})")
        : "no matured decision yet";
}
