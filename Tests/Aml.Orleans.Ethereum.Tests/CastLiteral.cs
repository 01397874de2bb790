using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Aml.Orleans.Ethereum.Abi;

namespace Aml.Orleans.Ethereum.Tests;

/// <summary>Reads the argument literals cast takes (<c>[1,2]</c>, <c>(a,b)</c>, hex, decimals) into ABI values.</summary>
internal static class CastLiteral
{
    public static object Parse(AbiType type, string text)
    {
        text = text.Trim();
        switch (type)
        {
            case AbiIntegerType:
                return BigInteger.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            case AbiAddressType:
                return Address.Parse(text);
            case AbiBoolType:
                return text switch { "true" => true, "false" => false, _ => throw new FormatException(text) };
            case AbiFixedBytesType or AbiBytesType:
                return Hex.Decode(text);
            case AbiStringType:
                return text.StartsWith('"') ? text[1..^1] : text;
            case AbiArrayType array:
                return Inner(text, '[', ']').Select(item => Parse(array.Element, item)).ToArray();
            case AbiTupleType tuple:
                var parts = Inner(text, '(', ')');
                return tuple.Components.Select((component, i) => Parse(component, parts[i])).ToArray();
            default:
                throw new FormatException($"no literal for {type.Name}");
        }
    }

    /// <summary>cast's JSON form of an RLP item: hex strings and nested arrays.</summary>
    public static RlpItem ParseRlp(JsonElement json) => json.ValueKind == JsonValueKind.Array
        ? new RlpList(json.EnumerateArray().Select(ParseRlp).ToArray())
        : new RlpString(Hex.Decode(json.GetString()!));

    private static List<string> Inner(string text, char open, char close)
    {
        if (text[0] != open || text[^1] != close)
        {
            throw new FormatException($"expected {open}…{close}: {text}");
        }

        var parts = new List<string>();
        var depth = 0;
        var start = 1;
        var quoted = false;
        for (var i = 1; i < text.Length - 1; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && c is '(' or '[')
            {
                depth++;
            }
            else if (!quoted && c is ')' or ']')
            {
                depth--;
            }
            else if (!quoted && c == ',' && depth == 0)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }

        if (text.Length > 2)
        {
            parts.Add(text[start..^1]);
        }

        return parts;
    }
}
