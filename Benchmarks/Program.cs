using Aml.Orleans.Benchmarks.Book;
using Aml.Orleans.Benchmarks.Cluster;
using Aml.Orleans.Benchmarks.Load;
using BenchmarkDotNet.Running;

namespace Aml.Orleans.Benchmarks;

/// <summary>
/// The BenchmarkDotNet suites (<c>dotnet run -c Release --project Benchmarks -- --filter '*'</c>) and, with the
/// <c>load</c> verb, the load harness against a running stack (<c>./aml bench</c> starts one), and with the <c>book</c>
/// verb the position book's memory census and seeding (Book/BookVerb.cs), and with the <c>placement</c> verb where a
/// running cluster holds its book shards (Cluster/PlacementVerb.cs), and with the <c>journal</c> verb the oracle's writes
/// of a cascade as one blob and as its row journal (Oracle/JournalVerb.cs).
/// </summary>
public static class Program
{
    /// <summary>Runs the load harness for <c>load …</c>; hands anything else to BenchmarkDotNet's switcher.</summary>
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "load")
        {
            return await LoadHarness.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "book")
        {
            return await BookVerb.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "journal")
        {
            return await Oracle.JournalVerb.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "placement")
        {
            return await PlacementVerb.RunAsync(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
