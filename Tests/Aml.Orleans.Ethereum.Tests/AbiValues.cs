namespace Aml.Orleans.Ethereum.Tests;

/// <summary>Structural equality of ABI values (object[] and byte[] compare by content).</summary>
internal static class AbiValues
{
    public static bool DeepEqual(object? a, object? b) => (a, b) switch
    {
        (object[] x, object[] y) => x.Length == y.Length && x.Zip(y).All(p => DeepEqual(p.First, p.Second)),
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        _ => Equals(a, b),
    };
}
