namespace Aml.Orleans.Cli;

/// <summary>Entry point for the <c>aml</c> verbs that run .NET code (train, backtest, quote, …).</summary>
public static class Program
{
    /// <summary>Dispatches to a verb; with no verb, lists them.</summary>
    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
        {
            Console.WriteLine("aml-cli: verbs arrive with their issues (train, backtest: the risk issue).");
            return 0;
        }

        Console.Error.WriteLine($"aml-cli: unknown verb '{args[0]}'");
        return 2;
    }
}
