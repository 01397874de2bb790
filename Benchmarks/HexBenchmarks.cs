using Aml.Orleans.Ethereum;
using BenchmarkDotNet.Attributes;

namespace Aml.Orleans.Benchmarks;

/// <summary>Hex codec cost for a 32-byte word, the most common JSON-RPC value.</summary>
[MemoryDiagnoser]
public class HexBenchmarks
{
    private readonly byte[] _word = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private readonly string _hex = "0x" + new string('a', 64);

    /// <summary>Encoding 32 bytes.</summary>
    [Benchmark(Baseline = true)]
    public string Encode() => Hex.Encode(_word);

    /// <summary>Decoding 32 bytes.</summary>
    [Benchmark]
    public byte[] Decode() => Hex.Decode(_hex);
}
