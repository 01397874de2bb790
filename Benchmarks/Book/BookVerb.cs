using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Aml.Orleans.Benchmarks.Book;

/// <summary>
/// <c>Aml.Orleans.Benchmarks book [--rows 10000,100000,1000000] [--pg CONNECTION --seed-rows 1000000 --buckets 16]
/// [--timeout-seconds 900] [--out FILE]</c>: the book's memory census and, with <c>--pg</c>, its seeding at scale.
/// Prints Markdown (and writes it to <c>--out</c>).
/// </summary>
internal static class BookVerb
{
    private const string Usage =
        "usage: Aml.Orleans.Benchmarks book [--rows 10000,100000,1000000] [--pg CONNECTION] [--seed-rows 1000000] " +
        "[--buckets 16] [--timeout-seconds 900] [--out FILE]";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                await Console.Error.WriteLineAsync($"'{args[i]}' needs a value. {Usage}");
                return 2;
            }

            values[args[i]] = args[i + 1];
        }

        if (values.TryGetValue("--census-one", out var one))
        {
            var line = BookCensus.Measure(Positive(one) - 1, Positive(values.GetValueOrDefault("--rows", "1")));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {line.Structure} | {line.Rows:N0} | {line.HeapBytesPerRow:N0} B | {line.AllocatedBytesPerRow:N0} B | {line.RssBytesPerRow:N0} B | {line.FullGcMs:N1} ms |"));
            return 0;
        }

        int[] counts;
        int seedRows, buckets, timeout;
        try
        {
            counts = [.. values.GetValueOrDefault("--rows", "10000,100000,1000000").Split(',').Select(Positive)];
            seedRows = Positive(values.GetValueOrDefault("--seed-rows", "1000000"));
            buckets = Positive(values.GetValueOrDefault("--buckets", "16"));
            timeout = Positive(values.GetValueOrDefault("--timeout-seconds", "900"));
        }
        catch (FormatException ex)
        {
            await Console.Error.WriteLineAsync($"{ex.Message}. {Usage}");
            return 2;
        }

        var report = new StringBuilder();
        void Emit(string line)
        {
            Console.WriteLine(line);
            report.AppendLine(line);
        }

        Emit($"Position book census ({Environment.ProcessorCount} cores, .NET {Environment.Version}, server GC {System.Runtime.GCSettings.IsServerGC}):");
        Emit("");
        Emit("| Structure | Rows | Heap / row | Allocated / row | RSS / row | Full GC with it alive |");
        Emit("|---|---:|---:|---:|---:|---:|");
        foreach (var count in counts)
        {
            for (var structure = 0; structure < BookCensus.Structures.Count; structure++)
            {
                Emit(await MeasureInChildAsync(structure, count));
            }
        }

        if (values.TryGetValue("--pg", out var server))
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(timeout));
            var result = await BookSeeding.RunAsync(server, seedRows, buckets, deadline.Token);
            Emit("");
            Emit("| Rows | Shards | Seed (books + COPY BINARY) | Rows / s | Load all shards (COPY) | Rows / s | 1 % delta flush of one shard |");
            Emit("|---:|---:|---:|---:|---:|---:|---:|");
            Emit(string.Create(CultureInfo.InvariantCulture,
                $"| {result.Rows:N0} | {result.Buckets} | {result.SeedSeconds:N2} s | {result.Rows / result.SeedSeconds:N0} | {result.LoadSeconds:N2} s | {result.LoadedRows / result.LoadSeconds:N0} | {result.DeltaRows:N0} rows in {result.DeltaFlushMs:N1} ms |"));
        }

        if (values.TryGetValue("--out", out var file))
        {
            await File.WriteAllTextAsync(file, report.ToString());
        }

        return 0;
    }

    // One structure per process, so its resident-set growth is its own (see BookCensus.Measure).
    private static async Task<string> MeasureInChildAsync(int structure, int rows)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { typeof(BookVerb).Assembly.Location, "book", "--census-one", (structure + 1).ToString(CultureInfo.InvariantCulture), "--rows", rows.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start the census process");
        var output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        return child.ExitCode == 0 ? output.Trim() : throw new InvalidOperationException($"census of {BookCensus.Structures[structure]} at {rows} failed: {output}");
    }

    private static int Positive(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new FormatException($"'{text}' is not a positive whole number");
}
