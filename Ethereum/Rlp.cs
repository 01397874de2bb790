using System.Numerics;

namespace Aml.Orleans.Ethereum;

/// <summary>An RLP item: a byte string (<see cref="RlpString"/>) or a list of items (<see cref="RlpList"/>).</summary>
public abstract record RlpItem;

/// <summary>An RLP byte string.</summary>
public sealed record RlpString(byte[] Value) : RlpItem
{
    /// <summary>The empty string, also the RLP of integer zero and of a missing <c>to</c>.</summary>
    public static RlpString Empty { get; } = new([]);

    /// <summary>A non-negative integer as its minimal big-endian bytes (zero is the empty string).</summary>
    public static RlpString FromInteger(BigInteger value)
    {
        if (value.Sign < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "RLP integers are non-negative");
        }

        return new(value.IsZero ? [] : value.ToByteArray(isUnsigned: true, isBigEndian: true));
    }

    /// <summary>Reads the string as a canonical integer: a leading zero byte is rejected.</summary>
    public BigInteger ToInteger()
    {
        if (Value.Length > 0 && Value[0] == 0)
        {
            throw new FormatException("RLP integer has a leading zero byte (non-canonical)");
        }

        return new BigInteger(Value, isUnsigned: true, isBigEndian: true);
    }

    /// <inheritdoc/>
    public bool Equals(RlpString? other) => other is not null && Value.AsSpan().SequenceEqual(other.Value);

    /// <inheritdoc/>
    public override int GetHashCode() => Value.Length;
}

/// <summary>An RLP list.</summary>
public sealed record RlpList(IReadOnlyList<RlpItem> Items) : RlpItem
{
    /// <summary>A list of the given items.</summary>
    public RlpList(params RlpItem[] items)
        : this((IReadOnlyList<RlpItem>)items)
    {
    }

    /// <inheritdoc/>
    public bool Equals(RlpList? other) => other is not null && Items.SequenceEqual(other.Items);

    /// <inheritdoc/>
    public override int GetHashCode() => Items.Count;
}

/// <summary>Recursive Length Prefix encoding (Ethereum yellow paper, appendix B).</summary>
public static class Rlp
{
    /// <summary>Encodes an item.</summary>
    public static byte[] Encode(RlpItem item)
    {
        var buffer = new byte[EncodedLength(item)];
        var written = Write(item, buffer);
        return written == buffer.Length ? buffer : throw new InvalidOperationException("RLP length mismatch");
    }

    /// <summary>
    /// Decodes exactly one item spanning all of <paramref name="data"/>. Non-canonical input (a single byte below
    /// 0x80 wrapped in a header, a long form for a short payload, a length with leading zeros) and trailing bytes
    /// are rejected, so that every value has one encoding and hashes over it are unambiguous.
    /// </summary>
    public static RlpItem Decode(ReadOnlySpan<byte> data)
    {
        var item = DecodeItem(data, 0, out var consumed);
        if (consumed != data.Length)
        {
            throw new FormatException($"RLP: {data.Length - consumed} trailing bytes after the item at offset {consumed}");
        }

        return item;
    }

    private static int EncodedLength(RlpItem item)
    {
        switch (item)
        {
            case RlpString { Value: var value }:
                if (value.Length == 1 && value[0] < 0x80)
                {
                    return 1;
                }

                return HeaderLength(value.Length) + value.Length;
            case RlpList { Items: var items }:
                var payload = PayloadLength(items);
                return HeaderLength(payload) + payload;
            default:
                throw new ArgumentException($"unknown RLP item {item?.GetType().Name ?? "null"}", nameof(item));
        }
    }

    private static int PayloadLength(IReadOnlyList<RlpItem> items)
    {
        var total = 0;
        foreach (var child in items)
        {
            total += EncodedLength(child);
        }

        return total;
    }

    private static int HeaderLength(int payloadLength) => payloadLength < 56 ? 1 : 1 + ByteCount(payloadLength);

    private static int ByteCount(int value)
    {
        var count = 0;
        for (var v = value; v > 0; v >>= 8)
        {
            count++;
        }

        return count;
    }

    private static int Write(RlpItem item, Span<byte> destination)
    {
        switch (item)
        {
            case RlpString { Value: var value }:
                if (value.Length == 1 && value[0] < 0x80)
                {
                    destination[0] = value[0];
                    return 1;
                }

                var headerLength = WriteHeader(0x80, value.Length, destination);
                value.CopyTo(destination[headerLength..]);
                return headerLength + value.Length;
            case RlpList { Items: var items }:
                var offset = WriteHeader(0xc0, PayloadLength(items), destination);
                foreach (var child in items)
                {
                    offset += Write(child, destination[offset..]);
                }

                return offset;
            default:
                throw new ArgumentException($"unknown RLP item {item?.GetType().Name ?? "null"}", nameof(item));
        }
    }

    private static int WriteHeader(byte offset, int payloadLength, Span<byte> destination)
    {
        if (payloadLength < 56)
        {
            destination[0] = (byte)(offset + payloadLength);
            return 1;
        }

        var lengthBytes = ByteCount(payloadLength);
        destination[0] = (byte)(offset + 55 + lengthBytes);
        for (var i = 0; i < lengthBytes; i++)
        {
            destination[lengthBytes - i] = (byte)(payloadLength >> (8 * i));
        }

        return 1 + lengthBytes;
    }

    private static RlpItem DecodeItem(ReadOnlySpan<byte> data, int start, out int end)
    {
        if (start >= data.Length)
        {
            throw new FormatException($"RLP: input ends at offset {start} where an item was expected");
        }

        var prefix = data[start];
        if (prefix < 0x80)
        {
            end = start + 1;
            return new RlpString([prefix]);
        }

        var isList = prefix >= 0xc0;
        var shortBase = isList ? 0xc0 : 0x80;
        int payloadStart;
        int payloadLength;
        if (prefix <= shortBase + 55)
        {
            payloadLength = prefix - shortBase;
            payloadStart = start + 1;
        }
        else
        {
            var lengthOfLength = prefix - shortBase - 55;
            if (start + 1 + lengthOfLength > data.Length)
            {
                throw new FormatException($"RLP: length field at offset {start} runs past the end of the input");
            }

            var lengthBytes = data.Slice(start + 1, lengthOfLength);
            if (lengthBytes[0] == 0)
            {
                throw new FormatException($"RLP: length at offset {start} has a leading zero (non-canonical)");
            }

            if (lengthOfLength > 4)
            {
                throw new FormatException($"RLP: length at offset {start} does not fit in 32 bits");
            }

            long length = 0;
            foreach (var b in lengthBytes)
            {
                length = (length << 8) | b;
            }

            if (length < 56)
            {
                throw new FormatException($"RLP: long form used for a {length}-byte payload at offset {start} (non-canonical)");
            }

            if (length > int.MaxValue)
            {
                throw new FormatException($"RLP: payload at offset {start} is too long ({length} bytes)");
            }

            payloadLength = (int)length;
            payloadStart = start + 1 + lengthOfLength;
        }

        if ((long)payloadStart + payloadLength > data.Length)
        {
            throw new FormatException($"RLP: item at offset {start} claims {payloadLength} bytes, only {data.Length - payloadStart} remain");
        }

        end = payloadStart + payloadLength;
        if (!isList)
        {
            var value = data.Slice(payloadStart, payloadLength);
            if (payloadLength == 1 && value[0] < 0x80)
            {
                throw new FormatException($"RLP: single byte 0x{value[0]:x2} at offset {start} must be encoded as itself (non-canonical)");
            }

            return new RlpString(value.ToArray());
        }

        var items = new List<RlpItem>();
        var position = payloadStart;
        while (position < end)
        {
            items.Add(DecodeItem(data[..end], position, out position));
        }

        return new RlpList(items);
    }
}
