using System.Text.Json;
using System.Text.Json.Serialization;
using Aml.Orleans.Ethereum;

namespace Aml.Orleans.Grains.Chain;

/// <summary>
/// Reads and writes a <see cref="DeployedMarket"/> as the deployment file holds it: one flat object with
/// <c>marketId</c>, the <c>MarketConfig</c> fields and <c>limits</c>. The config is read by the binding's own record,
/// so its fields are listed once.
/// </summary>
public sealed class DeployedMarketJsonConverter : JsonConverter<DeployedMarket>
{
    private const string MarketIdName = "marketId";
    private const string LimitsName = "limits";

    /// <inheritdoc />
    public override DeployedMarket Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        var market = document.RootElement;
        if (market.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"a market must be an object, not {market.ValueKind}");
        }

        var marketId = Property(market, MarketIdName) is { ValueKind: JsonValueKind.String } id ? id.GetString()! : null;
        if (string.IsNullOrEmpty(marketId))
        {
            throw new JsonException("a market lacks its marketId");
        }

        var config = market.Deserialize<MarketConfig>(options) ?? throw new JsonException($"market {marketId} has no config");
        var limits = Property(market, LimitsName) is { ValueKind: JsonValueKind.Object } l ? l.Deserialize<DeployedLimits>(options) : null;
        return new DeployedMarket(marketId, config, limits);
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, DeployedMarket value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartObject();
        writer.WriteString(Name(MarketIdName, options), value.MarketId);
        foreach (var field in JsonSerializer.SerializeToElement(value.Config, options).EnumerateObject())
        {
            field.WriteTo(writer);
        }

        if (value.Limits is not null)
        {
            writer.WritePropertyName(Name(LimitsName, options));
            JsonSerializer.Serialize(writer, value.Limits, options);
        }

        writer.WriteEndObject();
    }

    private static string Name(string name, JsonSerializerOptions options) => options.PropertyNamingPolicy?.ConvertName(name) ?? name;

    /// <summary>The deployment file is read case-insensitively, as the rest of it.</summary>
    private static JsonElement? Property(JsonElement market, string name)
    {
        foreach (var property in market.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }
}
