using System.Collections;
using System.Numerics;
using System.Text;

namespace Aml.Orleans.Ethereum.Abi;

/// <summary>
/// Solidity ABI encoding (head/tail, 32-byte words) of a sequence of values, and its strict inverse: the decoder
/// rejects dirty padding, out-of-range offsets and lengths, bools other than 0/1 and integers outside their width,
/// naming the value it stopped at.
/// </summary>
public static class AbiCodec
{
    // Strict both ways: a lone surrogate or invalid UTF-8 is an error, not a silent U+FFFD.
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>Encodes values as the tuple of <paramref name="types"/> (the layout of calldata arguments).</summary>
    public static byte[] Encode(IReadOnlyList<AbiType> types, IReadOnlyList<object?> values)
    {
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(values);
        var buffer = new List<byte>(32 * types.Count);
        EncodeSequence(types, values, buffer, "value");
        return [.. buffer];
    }

    /// <summary>Encodes one value of one type as if it were a one-element tuple.</summary>
    public static byte[] Encode(AbiType type, object? value) => Encode([type], [value]);

    /// <summary>Decodes <paramref name="data"/> as the tuple of <paramref name="types"/>.</summary>
    public static object[] Decode(IReadOnlyList<AbiType> types, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(types);
        var bytes = data.ToArray();
        return DecodeSequence(types, bytes, 0, bytes.Length, "value");
    }

    /// <summary>Converts any .NET integer (including <see cref="UInt128"/>/<see cref="Int128"/>) to a <see cref="BigInteger"/>.</summary>
    public static BigInteger ToBigInteger(object? value, string what) => value switch
    {
        BigInteger b => b,
        byte b => b,
        sbyte b => b,
        ushort b => b,
        short b => b,
        uint b => b,
        int b => b,
        ulong b => b,
        long b => b,
        UInt128 b => b,
        Int128 b => b,
        Enum e => Convert.ToUInt64(e, System.Globalization.CultureInfo.InvariantCulture),
        _ => throw new ArgumentException($"{what}: expected an integer, got {value?.GetType().Name ?? "null"}"),
    };

    private static void EncodeSequence(IReadOnlyList<AbiType> types, IReadOnlyList<object?> values, List<byte> output, string path)
    {
        if (types.Count != values.Count)
        {
            throw new ArgumentException($"{path}: {types.Count} types but {values.Count} values");
        }

        var headSize = types.Sum(t => t.StaticSize);
        var heads = new List<byte>(headSize);
        var tails = new List<byte>();
        for (var i = 0; i < types.Count; i++)
        {
            var itemPath = $"{path}[{i}]";
            if (types[i].IsDynamic)
            {
                WriteWord(heads, new BigInteger(headSize + tails.Count));
                EncodeValue(types[i], values[i], tails, itemPath);
            }
            else
            {
                EncodeValue(types[i], values[i], heads, itemPath);
            }
        }

        output.AddRange(heads);
        output.AddRange(tails);
    }

    private static void EncodeValue(AbiType type, object? value, List<byte> output, string path)
    {
        switch (type)
        {
            case AbiIntegerType integer:
                var number = ToBigInteger(value, path);
                if (number < integer.Min || number > integer.Max)
                {
                    throw new ArgumentOutOfRangeException(path, number, $"does not fit {integer.Name}");
                }

                WriteWord(output, number);
                break;
            case AbiAddressType:
                var address = value is Address a ? a : throw new ArgumentException($"{path}: expected an Address, got {value?.GetType().Name ?? "null"}");
                output.AddRange(new byte[12]);
                output.AddRange(address.Bytes.ToArray());
                break;
            case AbiBoolType:
                var flag = value is bool f ? f : throw new ArgumentException($"{path}: expected a bool, got {value?.GetType().Name ?? "null"}");
                WriteWord(output, flag ? BigInteger.One : BigInteger.Zero);
                break;
            case AbiFixedBytesType fixedBytes:
                var raw = AsBytes(value, path);
                if (raw.Length != fixedBytes.Size)
                {
                    throw new ArgumentException($"{path}: {fixedBytes.Name} needs {fixedBytes.Size} bytes, got {raw.Length}");
                }

                output.AddRange(raw);
                output.AddRange(new byte[32 - raw.Length]);
                break;
            case AbiBytesType:
                WritePadded(output, AsBytes(value, path));
                break;
            case AbiStringType:
                var text = value as string ?? throw new ArgumentException($"{path}: expected a string, got {value?.GetType().Name ?? "null"}");
                byte[] utf8;
                try
                {
                    utf8 = StrictUtf8.GetBytes(text);
                }
                catch (EncoderFallbackException ex)
                {
                    throw new ArgumentException($"{path}: string is not valid UTF-16 (lone surrogate)", ex);
                }

                WritePadded(output, utf8);
                break;
            case AbiArrayType array:
                var items = AsList(value, path);
                if (array.Length is { } fixedLength && items.Count != fixedLength)
                {
                    throw new ArgumentException($"{path}: {array.Name} needs {fixedLength} items, got {items.Count}");
                }

                if (array.Length is null)
                {
                    WriteWord(output, items.Count);
                }

                EncodeSequence(Enumerable.Repeat(array.Element, items.Count).ToArray(), items, output, path);
                break;
            case AbiTupleType tuple:
                EncodeSequence(tuple.Components, AsList(value, path), output, path);
                break;
            default:
                throw new ArgumentException($"{path}: unsupported ABI type {type.Name}");
        }
    }

    private static byte[] AsBytes(object? value, string path) => value switch
    {
        byte[] bytes => bytes,
        Bytes32 word => word.ToArray(),
        ReadOnlyMemory<byte> memory => memory.ToArray(),
        _ => throw new ArgumentException($"{path}: expected bytes, got {value?.GetType().Name ?? "null"}"),
    };

    private static List<object?> AsList(object? value, string path) => value switch
    {
        IEnumerable<object?> items => [.. items],
        IEnumerable items and not string and not byte[] => [.. items.Cast<object?>()],
        _ => throw new ArgumentException($"{path}: expected a list, got {value?.GetType().Name ?? "null"}"),
    };

    private static void WriteWord(List<byte> output, BigInteger value)
    {
        Span<byte> word = stackalloc byte[32];
        if (value.Sign < 0)
        {
            word.Fill(0xff);
        }

        var byteCount = value.GetByteCount(isUnsigned: value.Sign >= 0);
        value.TryWriteBytes(word[(32 - byteCount)..], out _, isUnsigned: value.Sign >= 0, isBigEndian: true);
        output.AddRange(word);
    }

    private static void WritePadded(List<byte> output, byte[] bytes)
    {
        WriteWord(output, bytes.Length);
        output.AddRange(bytes);
        output.AddRange(new byte[(32 - (bytes.Length % 32)) % 32]);
    }

    private static object[] DecodeSequence(IReadOnlyList<AbiType> types, byte[] data, int start, int end, string path)
    {
        var values = new object[types.Count];
        var head = start;
        for (var i = 0; i < types.Count; i++)
        {
            var itemPath = $"{path}[{i}]";
            var type = types[i];
            if (type.IsDynamic)
            {
                var offset = ReadLength(data, head, end, itemPath + " offset");
                if (offset > end - start)
                {
                    throw new FormatException($"ABI {itemPath}: offset {offset} points past the data ({end - start} bytes)");
                }

                values[i] = DecodeValue(type, data, start + offset, end, itemPath);
                head += 32;
            }
            else
            {
                values[i] = DecodeValue(type, data, head, end, itemPath);
                head += type.StaticSize;
            }
        }

        return values;
    }

    private static object DecodeValue(AbiType type, byte[] data, int position, int end, string path)
    {
        switch (type)
        {
            case AbiIntegerType integer:
                var word = Word(data, position, end, path);
                var value = new BigInteger(word, isUnsigned: !integer.Signed, isBigEndian: true);
                if (value < integer.Min || value > integer.Max)
                {
                    throw new FormatException($"ABI {path}: 0x{Convert.ToHexStringLower(word)} is not a valid {integer.Name}");
                }

                return value;
            case AbiAddressType:
                var addressWord = Word(data, position, end, path);
                RequireZero(addressWord[..12], path, "address padding");
                return new Address(addressWord[12..]);
            case AbiBoolType:
                var boolWord = Word(data, position, end, path);
                RequireZero(boolWord[..31], path, "bool padding");
                return boolWord[31] switch
                {
                    0 => false,
                    1 => true,
                    var other => throw new FormatException($"ABI {path}: bool must be 0 or 1, got {other}"),
                };
            case AbiFixedBytesType fixedBytes:
                var fixedWord = Word(data, position, end, path);
                RequireZero(fixedWord[fixedBytes.Size..], path, $"{fixedBytes.Name} padding");
                return fixedWord[..fixedBytes.Size];
            case AbiBytesType:
                return ReadPadded(data, position, end, path);
            case AbiStringType:
                var utf8 = ReadPadded(data, position, end, path);
                try
                {
                    return StrictUtf8.GetString(utf8);
                }
                catch (DecoderFallbackException ex)
                {
                    throw new FormatException($"ABI {path}: string is not valid UTF-8", ex);
                }

            case AbiArrayType array:
                var count = array.Length ?? ReadLength(data, position, end, path + " length");
                var itemsStart = array.Length is null ? position + 32 : position;
                // Each element takes at least one head word, which bounds the count before allocating.
                if ((long)count * Math.Max(32, array.Element.IsDynamic ? 32 : array.Element.StaticSize) > end - itemsStart)
                {
                    throw new FormatException($"ABI {path}: {count} elements do not fit in the remaining {end - itemsStart} bytes");
                }

                return DecodeSequence(Enumerable.Repeat(array.Element, count).ToArray(), data, itemsStart, end, path);
            case AbiTupleType tuple:
                return DecodeSequence(tuple.Components, data, position, end, path);
            default:
                throw new FormatException($"ABI {path}: unsupported type {type.Name}");
        }
    }

    private static byte[] Word(byte[] data, int position, int end, string path)
    {
        if (position < 0 || position + 32 > end)
        {
            throw new FormatException($"ABI {path}: needs a 32-byte word at offset {position}, data is {end} bytes");
        }

        return data.AsSpan(position, 32).ToArray();
    }

    private static int ReadLength(byte[] data, int position, int end, string path)
    {
        var word = Word(data, position, end, path);
        var value = new BigInteger(word, isUnsigned: true, isBigEndian: true);
        return value <= int.MaxValue ? (int)value : throw new FormatException($"ABI {path}: {value} is too large");
    }

    private static byte[] ReadPadded(byte[] data, int position, int end, string path)
    {
        var length = ReadLength(data, position, end, path + " length");
        var start = position + 32;
        var padded = (length + 31) / 32 * 32;
        if ((long)start + padded > end)
        {
            throw new FormatException($"ABI {path}: {length} bytes at offset {start} run past the data ({end} bytes)");
        }

        RequireZero(data.AsSpan(start + length, padded - length), path, "bytes padding");
        return data.AsSpan(start, length).ToArray();
    }

    private static void RequireZero(ReadOnlySpan<byte> bytes, string path, string what)
    {
        if (bytes.ContainsAnyExcept((byte)0))
        {
            throw new FormatException($"ABI {path}: {what} is not zero");
        }
    }
}
