using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Aml.Orleans.Ethereum.Abi;

namespace Aml.Orleans.Ethereum;

/// <summary>A member of an EIP-712 struct type.</summary>
public sealed record Eip712Field(string Name, string Type);

/// <summary>
/// EIP-712 typed structured data of any shape (domain, nested structs, arrays), as <c>eth_signTypedData_v4</c>
/// and <c>cast wallet sign --data</c> take it. Struct values are dictionaries by field name; leaf values may be
/// .NET values (integers, <see cref="Address"/>, bool, byte[], <see cref="Bytes32"/>, string, lists) or JSON.
/// </summary>
public sealed record TypedData(
    IReadOnlyDictionary<string, IReadOnlyList<Eip712Field>> Types,
    string PrimaryType,
    IReadOnlyDictionary<string, object?> Domain,
    IReadOnlyDictionary<string, object?> Message)
{
    private static readonly string[] DomainFieldOrder = ["name", "version", "chainId", "verifyingContract", "salt"];
    private static readonly Dictionary<string, string> DomainFieldTypes = new()
    {
        ["name"] = "string",
        ["version"] = "string",
        ["chainId"] = "uint256",
        ["verifyingContract"] = "address",
        ["salt"] = "bytes32",
    };

    /// <summary>Parses the JSON form <c>{types, primaryType, domain, message}</c>.</summary>
    public static TypedData FromJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var types = new Dictionary<string, IReadOnlyList<Eip712Field>>();
        foreach (var type in Required(root, "types").EnumerateObject())
        {
            types[type.Name] = type.Value.EnumerateArray()
                .Select(f => new Eip712Field(Required(f, "name").GetString()!, Required(f, "type").GetString()!))
                .ToArray();
        }

        return new TypedData(
            types,
            Required(root, "primaryType").GetString()!,
            ToDictionary(Required(root, "domain").Clone()),
            ToDictionary(Required(root, "message").Clone()));
    }

    /// <summary>The domain's struct type: the declared <c>EIP712Domain</c>, or the standard fields present in the domain.</summary>
    public IReadOnlyList<Eip712Field> DomainFields =>
        Types.TryGetValue("EIP712Domain", out var declared)
            ? declared
            : DomainFieldOrder.Where(Domain.ContainsKey).Select(n => new Eip712Field(n, DomainFieldTypes[n])).ToArray();

    /// <summary><c>hashStruct(domain)</c>.</summary>
    public byte[] DomainSeparator()
    {
        var types = new Dictionary<string, IReadOnlyList<Eip712Field>>(Types) { ["EIP712Domain"] = DomainFields };
        return Eip712.HashStruct(types, "EIP712Domain", Domain);
    }

    /// <summary><c>hashStruct(message)</c> of the primary type.</summary>
    public byte[] MessageHash() => Eip712.HashStruct(Types, PrimaryType, Message);

    /// <summary>The digest to sign: <c>keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message))</c>.</summary>
    public byte[] Digest() => Eip712.Digest(DomainSeparator(), MessageHash());

    private static JsonElement Required(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value : throw new FormatException($"typed data: missing '{name}'");

    private static Dictionary<string, object?> ToDictionary(JsonElement element) =>
        element.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value);
}

/// <summary>EIP-712 building blocks: <c>encodeType</c>, <c>typeHash</c>, <c>encodeData</c>, <c>hashStruct</c>.</summary>
public static class Eip712
{
    /// <summary><c>keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ structHash)</c>.</summary>
    public static byte[] Digest(ReadOnlySpan<byte> domainSeparator, ReadOnlySpan<byte> structHash)
    {
        Span<byte> buffer = stackalloc byte[66];
        buffer[0] = 0x19;
        buffer[1] = 0x01;
        domainSeparator.CopyTo(buffer[2..]);
        structHash.CopyTo(buffer[34..]);
        return Keccak.Hash(buffer);
    }

    /// <summary>
    /// The type string: the primary type's definition followed by every struct type it references (transitively),
    /// sorted by name.
    /// </summary>
    public static string EncodeType(IReadOnlyDictionary<string, IReadOnlyList<Eip712Field>> types, string primaryType)
    {
        ArgumentNullException.ThrowIfNull(types);
        var referenced = new SortedSet<string>(StringComparer.Ordinal);
        CollectReferences(types, primaryType, referenced);
        referenced.Remove(primaryType);
        var builder = new StringBuilder();
        foreach (var name in referenced.Prepend(primaryType))
        {
            builder.Append(name).Append('(')
                .AppendJoin(',', types[name].Select(f => $"{f.Type} {f.Name}"))
                .Append(')');
        }

        return builder.ToString();
    }

    /// <summary><c>keccak256(encodeType(type))</c>.</summary>
    public static byte[] TypeHash(IReadOnlyDictionary<string, IReadOnlyList<Eip712Field>> types, string primaryType) =>
        Keccak.Hash(EncodeType(types, primaryType));

    /// <summary><c>keccak256(typeHash ‖ encodeData(value))</c>.</summary>
    public static byte[] HashStruct(
        IReadOnlyDictionary<string, IReadOnlyList<Eip712Field>> types, string typeName, IReadOnlyDictionary<string, object?> value)
    {
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(value);
        var fields = Fields(types, typeName);
        var buffer = new byte[32 * (fields.Count + 1)];
        TypeHash(types, typeName).CopyTo(buffer, 0);
        for (var i = 0; i < fields.Count; i++)
        {
            var field = fields[i];
            if (!value.TryGetValue(field.Name, out var fieldValue))
            {
                throw new ArgumentException($"EIP-712 {typeName}: missing field '{field.Name}'");
            }

            EncodeField(types, field.Type, fieldValue, $"{typeName}.{field.Name}").CopyTo(buffer, 32 * (i + 1));
        }

        return Keccak.Hash(buffer);
    }

    private static IReadOnlyList<Eip712Field> Fields(IReadOnlyDictionary<string, IReadOnlyList<Eip712Field>> types, string name) =>
        types.TryGetValue(name, out var fields) ? fields : throw new ArgumentException($"EIP-712: unknown struct type '{name}'");

    private static void CollectReferences(IReadOnlyDictionary<string, IReadOnlyList<Eip712Field>> types, string name, SortedSet<string> found)
    {
        if (!found.Add(name))
        {
            return;
        }

        foreach (var field in Fields(types, name))
        {
            var baseType = BaseType(field.Type);
            if (types.ContainsKey(baseType))
            {
                CollectReferences(types, baseType, found);
            }
        }
    }

    private static string BaseType(string type)
    {
        var bracket = type.IndexOf('[');
        return bracket < 0 ? type : type[..bracket];
    }

    private static byte[] EncodeField(IReadOnlyDictionary<string, IReadOnlyList<Eip712Field>> types, string type, object? value, string path)
    {
        if (type.EndsWith(']'))
        {
            var elementType = type[..type.LastIndexOf('[')];
            var items = AsList(value, path);
            var concatenated = new byte[32 * items.Count];
            for (var i = 0; i < items.Count; i++)
            {
                EncodeField(types, elementType, items[i], $"{path}[{i}]").CopyTo(concatenated, 32 * i);
            }

            return Keccak.Hash(concatenated);
        }

        if (types.ContainsKey(type))
        {
            return HashStruct(types, type, AsStruct(value, path));
        }

        switch (type)
        {
            case "string":
                return Keccak.Hash(value switch
                {
                    string s => s,
                    JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
                    _ => throw new ArgumentException($"EIP-712 {path}: expected a string"),
                });
            case "bytes":
                return Keccak.Hash(AsBytes(value, path));
        }

        var abiType = AbiType.Parse(type);
        var native = abiType switch
        {
            AbiIntegerType => (object)AsInteger(value, path),
            AbiAddressType => AsAddress(value, path),
            AbiBoolType => AsBool(value, path),
            AbiFixedBytesType => AsBytes(value, path),
            _ => throw new ArgumentException($"EIP-712 {path}: unsupported type '{type}'"),
        };
        return AbiCodec.Encode(abiType, native);
    }

    private static List<object?> AsList(object? value, string path) => value switch
    {
        JsonElement { ValueKind: JsonValueKind.Array } e => [.. e.EnumerateArray().Select(x => (object?)x)],
        System.Collections.IEnumerable items and not string and not byte[] => [.. items.Cast<object?>()],
        _ => throw new ArgumentException($"EIP-712 {path}: expected an array"),
    };

    private static IReadOnlyDictionary<string, object?> AsStruct(object? value, string path) => value switch
    {
        IReadOnlyDictionary<string, object?> d => d,
        JsonElement { ValueKind: JsonValueKind.Object } e => e.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value),
        _ => throw new ArgumentException($"EIP-712 {path}: expected a struct"),
    };

    private static BigInteger AsInteger(object? value, string path)
    {
        if (value is JsonElement element)
        {
            value = element.ValueKind switch
            {
                JsonValueKind.Number => element.GetRawText(),
                JsonValueKind.String => element.GetString(),
                _ => throw new ArgumentException($"EIP-712 {path}: expected an integer"),
            };
        }

        if (value is string text)
        {
            return text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? new BigInteger(Hex.Decode(text.Length % 2 == 0 ? text : "0x0" + text[2..]), isUnsigned: true, isBigEndian: true)
                : BigInteger.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }

        return AbiCodec.ToBigInteger(value, $"EIP-712 {path}");
    }

    private static Address AsAddress(object? value, string path) => value switch
    {
        Address a => a,
        string s => Address.Parse(s),
        JsonElement { ValueKind: JsonValueKind.String } e => Address.Parse(e.GetString()!),
        _ => throw new ArgumentException($"EIP-712 {path}: expected an address"),
    };

    private static bool AsBool(object? value, string path) => value switch
    {
        bool b => b,
        JsonElement { ValueKind: JsonValueKind.True } => true,
        JsonElement { ValueKind: JsonValueKind.False } => false,
        _ => throw new ArgumentException($"EIP-712 {path}: expected a bool"),
    };

    private static byte[] AsBytes(object? value, string path) => value switch
    {
        byte[] b => b,
        Bytes32 w => w.ToArray(),
        string s => Hex.Decode(s),
        JsonElement { ValueKind: JsonValueKind.String } e => Hex.Decode(e.GetString()!),
        _ => throw new ArgumentException($"EIP-712 {path}: expected bytes"),
    };
}
