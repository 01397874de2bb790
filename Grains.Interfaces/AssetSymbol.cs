using System.Text.RegularExpressions;

namespace Aml.Orleans.Grains.Interfaces;

/// <summary>
/// A market's key, <c>BASE-QUOTE</c> in upper case (e.g. <c>ETH-USD</c>). Formatted and parsed only here so that the
/// market, risk and trainer grains of one asset always share the same key.
/// </summary>
[GenerateSerializer, Immutable, Alias("aml.AssetSymbol")]
public readonly partial record struct AssetSymbol
{
    private AssetSymbol(string value) => Value = value;

    /// <summary>The canonical key, e.g. <c>ETH-USD</c>.</summary>
    [Id(0)]
    public string Value { get; }

    /// <summary>Parses a symbol, accepting lower case; anything but <c>BASE-QUOTE</c> of 2–10 letters or digits fails.</summary>
    public static bool TryParse(string? text, out AssetSymbol symbol)
    {
        symbol = default;
        if (text is null || !Shape().IsMatch(text))
        {
            return false;
        }

        symbol = new AssetSymbol(text.ToUpperInvariant());
        return true;
    }

    /// <summary>Parses a symbol or throws <see cref="FormatException"/> naming the bad input.</summary>
    public static AssetSymbol Parse(string text) =>
        TryParse(text, out var symbol) ? symbol : throw new FormatException($"'{text}' is not an asset symbol like ETH-USD");

    /// <inheritdoc />
    public override string ToString() => Value;

    [GeneratedRegex("^[A-Za-z0-9]{2,10}-[A-Za-z0-9]{2,10}$")]
    private static partial Regex Shape();
}
