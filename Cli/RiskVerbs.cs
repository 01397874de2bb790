using Spectre.Console;

namespace Aml.Orleans.Cli;

/// <summary>What the risk verbs share: <c>aml train</c> is <see cref="TrainVerb"/>, <c>aml backtest</c> is <see cref="BacktestVerb"/>.</summary>
internal static class RiskVerbs
{
    // Long steps show a spinner on a terminal; with --json stdout stays machine-readable.
    internal static T Quietly<T>(bool json, string what, Func<T> work)
    {
        if (json || Console.IsOutputRedirected)
        {
            return work();
        }

        T result = default!;
        AnsiConsole.Status().Start(what + "…", _ => result = work());
        return result;
    }
}
