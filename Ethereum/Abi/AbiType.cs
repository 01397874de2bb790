using System.Numerics;

namespace Aml.Orleans.Ethereum.Abi;

/// <summary>
/// A Solidity ABI type. Values travel as: <see cref="BigInteger"/> for uintN/intN (any .NET integer is accepted
/// when encoding), <see cref="Ethereum.Address"/>, <see cref="bool"/>, <c>byte[]</c> for bytesN and bytes
/// (<see cref="Bytes32"/> is accepted for bytes32), <see cref="string"/>, and <c>object[]</c> for arrays and tuples.
/// </summary>
public abstract record AbiType
{
    /// <summary>The canonical type name used in signatures, e.g. <c>uint256</c> or <c>(uint8,bytes32)[]</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Whether the encoding is dynamic (goes to the tail behind an offset).</summary>
    public abstract bool IsDynamic { get; }

    /// <summary>Bytes in the head for a static type (32 per word; a static tuple or fixed array inlines).</summary>
    public virtual int StaticSize => 32;

    /// <summary>Parses a canonical type, e.g. <c>uint64</c>, <c>bytes32[]</c>, <c>(address,bool)[2]</c>.</summary>
    public static AbiType Parse(string type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var text = type.Trim();
        if (text.EndsWith(']'))
        {
            var open = text.LastIndexOf('[');
            if (open < 0)
            {
                throw new FormatException($"ABI type '{type}': unbalanced ']'");
            }

            var inner = Parse(text[..open]);
            var lengthText = text[(open + 1)..^1];
            if (lengthText.Length == 0)
            {
                return new AbiArrayType(inner, null);
            }

            return int.TryParse(lengthText, out var length) && length > 0
                ? new AbiArrayType(inner, length)
                : throw new FormatException($"ABI type '{type}': bad array length '{lengthText}'");
        }

        if (text.StartsWith('('))
        {
            if (!text.EndsWith(')'))
            {
                throw new FormatException($"ABI type '{type}': tuple must end with ')'");
            }

            return new AbiTupleType(SplitTopLevel(text[1..^1], type).Select(Parse).ToArray());
        }

        return text switch
        {
            "address" => AbiAddressType.Instance,
            "bool" => AbiBoolType.Instance,
            "string" => AbiStringType.Instance,
            "bytes" => AbiBytesType.Instance,
            "uint" => new AbiIntegerType(256, false),
            "int" => new AbiIntegerType(256, true),
            _ when text.StartsWith("uint", StringComparison.Ordinal) => new AbiIntegerType(Bits(text[4..], type), false),
            _ when text.StartsWith("int", StringComparison.Ordinal) => new AbiIntegerType(Bits(text[3..], type), true),
            _ when text.StartsWith("bytes", StringComparison.Ordinal) => new AbiFixedBytesType(FixedSize(text[5..], type)),
            _ => throw new FormatException($"ABI type '{type}' is not supported"),
        };
    }

    /// <summary>Splits a comma-separated list at depth zero (commas inside nested parentheses stay).</summary>
    internal static List<string> SplitTopLevel(string text, string context)
    {
        var parts = new List<string>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return parts;
        }

        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    if (depth < 0)
                    {
                        throw new FormatException($"'{context}': unbalanced ')'");
                    }

                    break;
                case ',' when depth == 0:
                    parts.Add(text[start..i].Trim());
                    start = i + 1;
                    break;
            }
        }

        if (depth != 0)
        {
            throw new FormatException($"'{context}': unbalanced '('");
        }

        parts.Add(text[start..].Trim());
        return parts;
    }

    private static int Bits(string digits, string type) =>
        int.TryParse(digits, out var bits) && bits is > 0 and <= 256 && bits % 8 == 0
            ? bits
            : throw new FormatException($"ABI type '{type}': integer width must be 8..256 in steps of 8");

    private static int FixedSize(string digits, string type) =>
        int.TryParse(digits, out var size) && size is > 0 and <= 32
            ? size
            : throw new FormatException($"ABI type '{type}': bytesN needs 1 <= N <= 32");
}

/// <summary><c>uintN</c> or <c>intN</c>.</summary>
public sealed record AbiIntegerType(int Bits, bool Signed) : AbiType
{
    /// <inheritdoc/>
    public override string Name => (Signed ? "int" : "uint") + Bits;

    /// <inheritdoc/>
    public override bool IsDynamic => false;

    /// <summary>Smallest value.</summary>
    public BigInteger Min => Signed ? -(BigInteger.One << (Bits - 1)) : BigInteger.Zero;

    /// <summary>Largest value.</summary>
    public BigInteger Max => Signed ? (BigInteger.One << (Bits - 1)) - 1 : (BigInteger.One << Bits) - 1;
}

/// <summary><c>address</c>.</summary>
public sealed record AbiAddressType : AbiType
{
    /// <summary>The single instance.</summary>
    public static AbiAddressType Instance { get; } = new();

    /// <inheritdoc/>
    public override string Name => "address";

    /// <inheritdoc/>
    public override bool IsDynamic => false;
}

/// <summary><c>bool</c>.</summary>
public sealed record AbiBoolType : AbiType
{
    /// <summary>The single instance.</summary>
    public static AbiBoolType Instance { get; } = new();

    /// <inheritdoc/>
    public override string Name => "bool";

    /// <inheritdoc/>
    public override bool IsDynamic => false;
}

/// <summary><c>bytesN</c>, left-aligned in its word.</summary>
public sealed record AbiFixedBytesType(int Size) : AbiType
{
    /// <inheritdoc/>
    public override string Name => "bytes" + Size;

    /// <inheritdoc/>
    public override bool IsDynamic => false;
}

/// <summary><c>bytes</c>.</summary>
public sealed record AbiBytesType : AbiType
{
    /// <summary>The single instance.</summary>
    public static AbiBytesType Instance { get; } = new();

    /// <inheritdoc/>
    public override string Name => "bytes";

    /// <inheritdoc/>
    public override bool IsDynamic => true;
}

/// <summary><c>string</c> (UTF-8).</summary>
public sealed record AbiStringType : AbiType
{
    /// <summary>The single instance.</summary>
    public static AbiStringType Instance { get; } = new();

    /// <inheritdoc/>
    public override string Name => "string";

    /// <inheritdoc/>
    public override bool IsDynamic => true;
}

/// <summary><c>T[]</c> (Length null) or <c>T[k]</c>.</summary>
public sealed record AbiArrayType(AbiType Element, int? Length) : AbiType
{
    /// <inheritdoc/>
    public override string Name => $"{Element.Name}[{Length}]";

    /// <inheritdoc/>
    public override bool IsDynamic => Length is null || Element.IsDynamic;

    /// <inheritdoc/>
    public override int StaticSize => IsDynamic ? 32 : Length!.Value * Element.StaticSize;
}

/// <summary>A tuple (a Solidity struct in the ABI).</summary>
public sealed record AbiTupleType(IReadOnlyList<AbiType> Components) : AbiType
{
    /// <inheritdoc/>
    public override string Name => "(" + string.Join(",", Components.Select(c => c.Name)) + ")";

    /// <inheritdoc/>
    public override bool IsDynamic => Components.Any(c => c.IsDynamic);

    /// <inheritdoc/>
    public override int StaticSize => IsDynamic ? 32 : Components.Sum(c => c.StaticSize);

    /// <inheritdoc/>
    public bool Equals(AbiTupleType? other) => other is not null && Components.SequenceEqual(other.Components);

    /// <inheritdoc/>
    public override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);
}
