using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Aml.Orleans.Grains.Book;

/// <summary>
/// A position id as the contract's <c>bytes32</c>, held as four big-endian words: 32 bytes inline, no string, no
/// pointer, so a book of a million rows is arrays the GC never traces. Formats as the grain key
/// (<c>0x</c> + 64 lowercase hex digits, as <c>Hex.Encode</c> writes it).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
[GenerateSerializer, Immutable, Alias("aml.PositionKey")]
public readonly struct PositionKey : IEquatable<PositionKey>
{
    /// <summary>Bytes in a key.</summary>
    public const int Length = 32;

    [Id(0)] private readonly ulong _w0;
    [Id(1)] private readonly ulong _w1;
    [Id(2)] private readonly ulong _w2;
    [Id(3)] private readonly ulong _w3;

    private PositionKey(ulong w0, ulong w1, ulong w2, ulong w3) => (_w0, _w1, _w2, _w3) = (w0, w1, w2, w3);

    /// <summary>True for the all-zero id, which the book refuses (it marks free rows).</summary>
    public bool IsZero => (_w0 | _w1 | _w2 | _w3) == 0;

    /// <summary>The key of 32 bytes.</summary>
    public static PositionKey FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"a position id is {Length} bytes, got {bytes.Length}", nameof(bytes));
        }

        return new PositionKey(
            BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]), BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));
    }

    /// <summary>Parses <c>0x</c> + 64 hex digits (either case); anything else is a <see cref="FormatException"/>.</summary>
    public static PositionKey Parse(string text) =>
        TryParse(text, out var key) ? key : throw new FormatException($"'{text}' is not a position id (0x and 64 hex digits)");

    /// <summary>Parses <c>0x</c> + 64 hex digits (either case).</summary>
    public static bool TryParse(string? text, out PositionKey key)
    {
        key = default;
        if (text is null || text.Length != 2 + 2 * Length || !text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        Span<ulong> words = stackalloc ulong[4];
        for (var i = 0; i < 4; i++)
        {
            if (!ulong.TryParse(text.AsSpan(2 + 16 * i, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out words[i]))
            {
                return false;
            }
        }

        key = new PositionKey(words[0], words[1], words[2], words[3]);
        return true;
    }

    /// <summary>Writes the 32 bytes to <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException($"needs {Length} bytes", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, _w0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _w1);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _w2);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _w3);
    }

    /// <summary>The 32 bytes as a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>
    /// A hash that is the same in every process and on every machine (unlike <see cref="HashCode"/>, which is seeded
    /// per process): shard routing depends on it. Ids are keccak outputs, but nothing forces that, so the words are mixed.
    /// </summary>
    public ulong StableHash(ulong salt = 0) =>
        Mix(_w0 ^ Mix(_w1 ^ Mix(_w2 ^ Mix(_w3 ^ salt))));

    /// <inheritdoc />
    public bool Equals(PositionKey other) => _w0 == other._w0 && _w1 == other._w1 && _w2 == other._w2 && _w3 == other._w3;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PositionKey other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => (int)StableHash();

    /// <summary>The grain key: <c>0x</c> + 64 lowercase hex digits.</summary>
    public override string ToString() =>
        string.Create(2 + 2 * Length, this, static (chars, key) =>
        {
            chars[0] = '0';
            chars[1] = 'x';
            Span<byte> bytes = stackalloc byte[Length];
            key.WriteTo(bytes);
            Convert.TryToHexStringLower(bytes, chars[2..], out _);
        });

    /// <summary>Equal ids.</summary>
    public static bool operator ==(PositionKey left, PositionKey right) => left.Equals(right);

    /// <summary>Different ids.</summary>
    public static bool operator !=(PositionKey left, PositionKey right) => !left.Equals(right);

    // SplitMix64's finaliser: every input bit moves about half the output bits.
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
