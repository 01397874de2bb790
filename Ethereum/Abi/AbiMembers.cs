using System.Text.Json;

namespace Aml.Orleans.Ethereum.Abi;

/// <summary>A named parameter of a function, event or error.</summary>
public sealed record AbiParameter(string Name, AbiType Type, bool Indexed = false)
{
    /// <summary>
    /// Parses a parameter list in human-readable form, e.g. <c>bytes32 indexed positionId, (uint8,bytes32)[] ds</c>.
    /// Names are optional; <c>memory</c>/<c>calldata</c> are ignored.
    /// </summary>
    public static IReadOnlyList<AbiParameter> ParseList(string text)
    {
        var parameters = new List<AbiParameter>();
        foreach (var part in AbiType.SplitTopLevel(text, text))
        {
            string typeText;
            string rest;
            if (part.StartsWith('('))
            {
                var close = MatchingParenthesis(part, 0);
                var typeEnd = close + 1;
                while (typeEnd < part.Length && !char.IsWhiteSpace(part[typeEnd]))
                {
                    typeEnd++;
                }

                typeText = part[..typeEnd];
                rest = part[typeEnd..];
            }
            else
            {
                var space = part.IndexOfAny([' ', '\t']);
                typeText = space < 0 ? part : part[..space];
                rest = space < 0 ? string.Empty : part[space..];
            }

            var words = rest.Split(' ', '\t', StringSplitOptions.RemoveEmptyEntries)
                .Where(w => w is not "memory" and not "calldata").ToList();
            var indexed = words.Remove("indexed");
            if (words.Count > 1)
            {
                throw new FormatException($"ABI parameter '{part}': unexpected words '{string.Join(' ', words)}'");
            }

            parameters.Add(new AbiParameter(words.Count == 1 ? words[0] : string.Empty, AbiType.Parse(typeText), indexed));
        }

        return parameters;
    }

    internal static int MatchingParenthesis(string text, int open)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            depth += text[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (depth == 0)
            {
                return i;
            }
        }

        throw new FormatException($"'{text}': unbalanced '('");
    }

    internal static (string Name, string Parameters, string Tail) SplitSignature(string text)
    {
        var open = text.IndexOf('(');
        if (open <= 0)
        {
            throw new FormatException($"'{text}' is not of the form name(parameters)");
        }

        var close = MatchingParenthesis(text, open);
        return (text[..open].Trim(), text[(open + 1)..close], text[(close + 1)..].Trim());
    }
}

/// <summary>A contract function: selector, calldata encoding and return-data decoding.</summary>
public sealed record AbiFunction(string Name, IReadOnlyList<AbiParameter> Inputs, IReadOnlyList<AbiParameter> Outputs)
{
    /// <summary>The canonical signature, e.g. <c>addCollateral(bytes32,uint128)</c>.</summary>
    public string Signature => $"{Name}({string.Join(",", Inputs.Select(p => p.Type.Name))})";

    /// <summary>The first 4 bytes of keccak256(signature).</summary>
    public byte[] Selector => Keccak.Hash(Signature)[..4];

    /// <summary>Parses <c>name(type name, …) returns (type name, …)</c>.</summary>
    public static AbiFunction Parse(string text)
    {
        var (name, parameters, rest) = AbiParameter.SplitSignature(text);
        IReadOnlyList<AbiParameter> outputs = [];
        if (rest.Length > 0)
        {
            if (!rest.StartsWith("returns", StringComparison.Ordinal))
            {
                throw new FormatException($"function '{text}': expected 'returns (...)' after the parameters");
            }

            var returns = rest["returns".Length..].Trim();
            if (!returns.StartsWith('(') || AbiParameter.MatchingParenthesis(returns, 0) != returns.Length - 1)
            {
                throw new FormatException($"function '{text}': malformed returns list");
            }

            outputs = AbiParameter.ParseList(returns[1..^1]);
        }

        return new AbiFunction(name, AbiParameter.ParseList(parameters), outputs);
    }

    /// <summary>
    /// Calldata: selector followed by the encoded arguments. A single tuple or array argument must be wrapped
    /// (<c>EncodeCall([tuple])</c>), otherwise C# passes its elements as the argument list.
    /// </summary>
    public byte[] EncodeCall(params object?[] arguments)
    {
        var encoded = AbiCodec.Encode(Inputs.Select(p => p.Type).ToArray(), arguments);
        return [.. Selector, .. encoded];
    }

    /// <summary>Decodes calldata produced for this function (checks the selector).</summary>
    public object[] DecodeCall(ReadOnlySpan<byte> calldata)
    {
        if (calldata.Length < 4 || !calldata[..4].SequenceEqual(Selector))
        {
            throw new FormatException($"calldata does not start with the selector of {Signature}");
        }

        return AbiCodec.Decode(Inputs.Select(p => p.Type).ToArray(), calldata[4..]);
    }

    /// <summary>Decodes return data.</summary>
    public object[] DecodeOutput(ReadOnlySpan<byte> returnData) =>
        AbiCodec.Decode(Outputs.Select(p => p.Type).ToArray(), returnData);
}

/// <summary>A decoded event or error: its name and arguments, in declaration order and by name.</summary>
public sealed record AbiDecoded(string Name, string Signature, IReadOnlyList<object> Values, IReadOnlyList<string> Names)
{
    /// <summary>The argument with the given parameter name.</summary>
    public object this[string name]
    {
        get
        {
            var index = Names.ToList().IndexOf(name);
            return index >= 0 ? Values[index] : throw new KeyNotFoundException($"{Signature} has no parameter '{name}'");
        }
    }

    /// <summary><c>Name(arg, …)</c> for logs and error messages.</summary>
    public override string ToString() => $"{Name}({string.Join(", ", Values.Select(FormatValue))})";

    private static string FormatValue(object value) => value switch
    {
        byte[] bytes => Hex.Encode(bytes),
        object[] items => "[" + string.Join(", ", items.Select(FormatValue)) + "]",
        bool flag => flag ? "true" : "false",
        _ => value.ToString() ?? string.Empty,
    };
}

/// <summary>A contract event: topic0 and log decoding.</summary>
public sealed record AbiEvent(string Name, IReadOnlyList<AbiParameter> Inputs, bool Anonymous = false)
{
    /// <summary>The canonical signature, e.g. <c>DecisionSkipped(bytes32,uint8)</c>.</summary>
    public string Signature => $"{Name}({string.Join(",", Inputs.Select(p => p.Type.Name))})";

    /// <summary>keccak256(signature), the first topic of a non-anonymous event.</summary>
    public Bytes32 Topic0 => Bytes32.KeccakOf(Signature);

    /// <summary>Parses <c>Name(type indexed name, …)</c>.</summary>
    public static AbiEvent Parse(string text)
    {
        var (name, parameters, rest) = AbiParameter.SplitSignature(text);
        return rest.Length == 0 || rest == "anonymous"
            ? new AbiEvent(name, AbiParameter.ParseList(parameters), rest == "anonymous")
            : throw new FormatException($"event '{text}': unexpected '{rest}'");
    }

    /// <summary>
    /// Decodes a log. Indexed parameters come from the topics (a dynamic indexed value is only its keccak hash and
    /// is returned as <see cref="Bytes32"/>); the rest are ABI-decoded from the data.
    /// </summary>
    public AbiDecoded Decode(IReadOnlyList<Bytes32> topics, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(topics);
        var topicIndex = 0;
        if (!Anonymous)
        {
            if (topics.Count == 0 || topics[0] != Topic0)
            {
                throw new FormatException($"log topic0 is not {Signature}");
            }

            topicIndex = 1;
        }

        var indexedCount = Inputs.Count(p => p.Indexed);
        if (topics.Count - topicIndex != indexedCount)
        {
            throw new FormatException($"{Signature}: expected {indexedCount} indexed topics, got {topics.Count - topicIndex}");
        }

        var dataValues = AbiCodec.Decode(Inputs.Where(p => !p.Indexed).Select(p => p.Type).ToArray(), data);
        var values = new object[Inputs.Count];
        var dataIndex = 0;
        for (var i = 0; i < Inputs.Count; i++)
        {
            var parameter = Inputs[i];
            if (!parameter.Indexed)
            {
                values[i] = dataValues[dataIndex++];
                continue;
            }

            var topic = topics[topicIndex++];
            values[i] = parameter.Type.IsDynamic || parameter.Type is AbiTupleType or AbiArrayType
                ? topic
                : AbiCodec.Decode([parameter.Type], topic.Bytes)[0];
        }

        return new AbiDecoded(Name, Signature, values, Inputs.Select(p => p.Name).ToArray());
    }
}

/// <summary>A custom error (or the built-in <c>Error(string)</c> / <c>Panic(uint256)</c>).</summary>
public sealed record AbiError(string Name, IReadOnlyList<AbiParameter> Inputs)
{
    /// <summary><c>Error(string)</c>, what <c>require(cond, "reason")</c> reverts with.</summary>
    public static AbiError ErrorString { get; } = Parse("Error(string message)");

    /// <summary><c>Panic(uint256)</c>, what failed asserts, overflows and divisions by zero revert with.</summary>
    public static AbiError Panic { get; } = Parse("Panic(uint256 code)");

    /// <summary>The canonical signature, e.g. <c>Error(string)</c>.</summary>
    public string Signature => $"{Name}({string.Join(",", Inputs.Select(p => p.Type.Name))})";

    /// <summary>The first 4 bytes of keccak256(signature).</summary>
    public byte[] Selector => Keccak.Hash(Signature)[..4];

    /// <summary>Parses <c>Name(type name, …)</c>.</summary>
    public static AbiError Parse(string text)
    {
        var (name, parameters, rest) = AbiParameter.SplitSignature(text);
        return rest.Length == 0
            ? new AbiError(name, AbiParameter.ParseList(parameters))
            : throw new FormatException($"error '{text}': unexpected '{rest}'");
    }

    /// <summary>Revert data for this error with the given arguments.</summary>
    public byte[] Encode(params object?[] arguments) =>
        [.. Selector, .. AbiCodec.Encode(Inputs.Select(p => p.Type).ToArray(), arguments)];

    /// <summary>Decodes revert data that starts with this error's selector.</summary>
    public AbiDecoded Decode(ReadOnlySpan<byte> revertData)
    {
        if (revertData.Length < 4 || !revertData[..4].SequenceEqual(Selector))
        {
            throw new FormatException($"revert data does not start with the selector of {Signature}");
        }

        var values = AbiCodec.Decode(Inputs.Select(p => p.Type).ToArray(), revertData[4..]);
        return new AbiDecoded(Name, Signature, values, Inputs.Select(p => p.Name).ToArray());
    }
}

/// <summary>The members of a contract ABI, as loaded from forge's JSON output or declared in code.</summary>
public sealed record AbiContract(IReadOnlyList<AbiFunction> Functions, IReadOnlyList<AbiEvent> Events, IReadOnlyList<AbiError> Errors)
{
    /// <summary>No members: decodes only the built-in <c>Error(string)</c> and <c>Panic(uint256)</c>.</summary>
    public static AbiContract Empty { get; } = new([], [], []);

    /// <summary>
    /// Loads a JSON ABI: either the ABI array itself or a forge/solc artifact object with an <c>abi</c> property.
    /// </summary>
    public static AbiContract FromJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Object)
        {
            root = root.TryGetProperty("abi", out var abi) ? abi : throw new FormatException("JSON ABI object has no 'abi' property");
        }

        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("JSON ABI must be an array of members");
        }

        var functions = new List<AbiFunction>();
        var events = new List<AbiEvent>();
        var errors = new List<AbiError>();
        var position = 0;
        foreach (var member in root.EnumerateArray())
        {
            var kind = member.TryGetProperty("type", out var typeElement) ? typeElement.GetString() : "function";
            var name = member.TryGetProperty("name", out var nameElement) ? nameElement.GetString() ?? string.Empty : string.Empty;
            var inputs = Parameters(member, "inputs", position);
            switch (kind)
            {
                case "function":
                    functions.Add(new AbiFunction(name, inputs, Parameters(member, "outputs", position)));
                    break;
                case "event":
                    var anonymous = member.TryGetProperty("anonymous", out var anon) && anon.GetBoolean();
                    events.Add(new AbiEvent(name, inputs, anonymous));
                    break;
                case "error":
                    errors.Add(new AbiError(name, inputs));
                    break;
            }

            position++;
        }

        return new AbiContract(functions, events, errors);
    }

    /// <summary>The function with the given name (the first, if overloaded).</summary>
    public AbiFunction Function(string name) =>
        Functions.FirstOrDefault(f => f.Name == name) ?? throw new KeyNotFoundException($"ABI has no function '{name}'");

    /// <summary>The event with the given name.</summary>
    public AbiEvent Event(string name) =>
        Events.FirstOrDefault(e => e.Name == name) ?? throw new KeyNotFoundException($"ABI has no event '{name}'");

    /// <summary>Decodes a log if its topic0 matches one of the events, otherwise null.</summary>
    public AbiDecoded? TryDecodeLog(IReadOnlyList<Bytes32> topics, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(topics);
        if (topics.Count == 0)
        {
            return null;
        }

        var match = Events.FirstOrDefault(e => !e.Anonymous && e.Topic0 == topics[0]);
        return match?.Decode(topics, data);
    }

    /// <summary>
    /// Decodes revert data against this contract's custom errors plus <c>Error(string)</c> and <c>Panic(uint256)</c>;
    /// null when the data is empty or the selector is unknown.
    /// </summary>
    public AbiDecoded? TryDecodeError(ReadOnlySpan<byte> revertData)
    {
        if (revertData.Length < 4)
        {
            return null;
        }

        foreach (var error in Errors.Append(AbiError.ErrorString).Append(AbiError.Panic))
        {
            if (revertData[..4].SequenceEqual(error.Selector))
            {
                return error.Decode(revertData);
            }
        }

        return null;
    }

    private static List<AbiParameter> Parameters(JsonElement member, string property, int position)
    {
        var list = new List<AbiParameter>();
        if (!member.TryGetProperty(property, out var parameters))
        {
            return list;
        }

        foreach (var parameter in parameters.EnumerateArray())
        {
            var name = parameter.TryGetProperty("name", out var n) ? n.GetString() ?? string.Empty : string.Empty;
            var indexed = parameter.TryGetProperty("indexed", out var i) && i.GetBoolean();
            list.Add(new AbiParameter(name, AbiType.Parse(CanonicalType(parameter, position)), indexed));
        }

        return list;
    }

    private static string CanonicalType(JsonElement parameter, int position)
    {
        var type = parameter.GetProperty("type").GetString()
            ?? throw new FormatException($"JSON ABI member {position}: parameter without a type");
        if (!type.StartsWith("tuple", StringComparison.Ordinal))
        {
            return type;
        }

        var components = parameter.GetProperty("components").EnumerateArray().Select(c => CanonicalType(c, position));
        return "(" + string.Join(",", components) + ")" + type["tuple".Length..];
    }
}
