using System.Globalization;

namespace Aml.Orleans.Benchmarks.Load;

/// <summary>
/// What <c>Aml.Orleans.Benchmarks load</c> runs against and how hard: the stack <c>./aml bench</c> started (a silo with
/// its gateway on PostgreSQL, anvil with the contracts) and the sizes of each phase.
/// </summary>
internal sealed record LoadSettings(
    Uri Gateway,
    string DeploymentFile,
    string PostgresConnection,
    string ClusterId,
    string ServiceId,
    int SiloPid,
    IReadOnlyList<int> PositionCounts,
    int Clients,
    int QuotesPerClient,
    int OpensPerClient,
    int CascadePositions,
    string DataDirectory,
    DateTimeOffset TrainedTo,
    string ReportFile,
    string? RecordFile,
    IReadOnlyList<string> DevKeys)
{
    /// <summary>The usage line the harness prints on a bad argument.</summary>
    public const string Usage =
        "usage: Aml.Orleans.Benchmarks load --deployment FILE --pg CONNECTION --silo-pid PID --data DIR --trained-to DATE --out FILE " +
        "[--gateway URL] [--cluster-id ID] [--positions 10000,100000] [--clients 16] [--quotes 50] [--opens 2] [--cascade 10000 (0: none)] " +
        "[--record BENCHMARKS.json]; " +
        "AML_DEV_KEYS holds the anvil dev keys 0..12, comma-separated";

    /// <summary>Reads the command line (after the <c>load</c> verb) and the dev keys from the environment.</summary>
    public static LoadSettings Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                throw new ArgumentException($"'{args[i]}' needs a value. {Usage}");
            }

            values[args[i]] = args[i + 1];
        }

        string Required(string name) => values.TryGetValue(name, out var v) ? v : throw new ArgumentException($"{name} is required. {Usage}");
        string Optional(string name, string fallback) => values.GetValueOrDefault(name, fallback);
        int Number(string name, string? fallback = null, int least = 1)
        {
            var text = fallback is null ? Required(name) : Optional(name, fallback);
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= least
                ? n
                : throw new ArgumentException($"{name} must be a whole number of at least {least}, got '{text}'");
        }

        DateTimeOffset Date(string name) =>
            DateTimeOffset.TryParseExact(Required(name), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d)
                ? d
                : throw new ArgumentException($"{name} must be a date like 2022-11-06, got '{Required(name)}'");

        var keys = (Environment.GetEnvironmentVariable("AML_DEV_KEYS") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (keys.Length < LoadStack.DevAccounts)
        {
            throw new ArgumentException($"AML_DEV_KEYS must hold the {LoadStack.DevAccounts} anvil dev keys 0..12 (it holds {keys.Length}). {Usage}");
        }

        var counts = Optional("--positions", "10000,100000").Split(',')
            .Select(c => int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : throw new ArgumentException($"--positions takes positive counts separated by commas, got '{c}'"))
            .ToArray();
        return new LoadSettings(
            new Uri(Optional("--gateway", "http://127.0.0.1:8080")), Required("--deployment"), Required("--pg"),
            Optional("--cluster-id", "aml-dev"), Optional("--service-id", "aml"), Number("--silo-pid"), counts,
            Number("--clients", "16"), Number("--quotes", "50"), Number("--opens", "2"), Number("--cascade", "10000", least: 0),
            Required("--data"), Date("--trained-to"), Required("--out"), values.GetValueOrDefault("--record"), keys);
    }
}
