namespace Aml.Orleans.Cli;

/// <summary>A bad command line: the message names the flag; the exit code is 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary><c>--flag value</c> pairs (repeatable) and bare <c>--switch</c>es, checked against what a verb accepts.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _switches = new(StringComparer.Ordinal);

    public Arguments(IReadOnlyList<string> args, IEnumerable<string> valuedFlags, IEnumerable<string> switchFlags)
    {
        var valued = valuedFlags.ToHashSet(StringComparer.Ordinal);
        var switches = switchFlags.ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var flag = args[i];
            if (switches.Contains(flag))
            {
                _switches.Add(flag);
            }
            else if (valued.Contains(flag))
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new UsageException($"{flag} needs a value");
                }

                if (!_values.TryGetValue(flag, out var list))
                {
                    _values[flag] = list = [];
                }

                list.Add(args[++i]);
            }
            else
            {
                throw new UsageException($"unknown argument '{flag}' (accepted: {string.Join(", ", valued.Concat(switches).Order(StringComparer.Ordinal))})");
            }
        }
    }

    public bool Has(string flag) => _switches.Contains(flag);

    public IReadOnlyList<string> All(string flag) => _values.GetValueOrDefault(flag) ?? [];

    public string? One(string flag) => _values.TryGetValue(flag, out var list)
        ? list.Count == 1 ? list[0] : throw new UsageException($"{flag} given {list.Count} times")
        : null;

    public string Required(string flag) => One(flag) ?? throw new UsageException($"{flag} is required");

    public DateTimeOffset? Date(string flag) => One(flag) is { } text
        ? DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var date)
            ? date
            : throw new UsageException($"{flag} '{text}' is not a date (e.g. 2024-08-05)")
        : null;
}
