namespace Aml.Orleans.Cli;

/// <summary>Entry point for the <c>aml</c> verbs that run .NET code.</summary>
public static class Program
{
    /// <summary>Dispatches to a verb; bad arguments exit 2 with the flag named.</summary>
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    // The gateway verbs are network calls; the entry point stays synchronous for the risk verbs' sake.
    private static int Sync(Task<int> verb) => verb.GetAwaiter().GetResult();

    /// <summary>The same, with the output streams given (tests call it in-process).</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            return args.Count == 0 ? Help(output) : args[0] switch
            {
                "train" => TrainVerb.Run(args.Skip(1).ToArray(), output),
                "backtest" => BacktestVerb.Backtest(args.Skip(1).ToArray(), output),
                "quote" => Sync(GatewayVerbs.QuoteAsync(args.Skip(1).ToArray(), output, open: false)),
                "open" => Sync(GatewayVerbs.QuoteAsync(args.Skip(1).ToArray(), output, open: true)),
                "positions" => Sync(GatewayVerbs.PositionsAsync(args.Skip(1).ToArray(), output)),
                "watch" => Sync(GatewayVerbs.WatchAsync(args.Skip(1).ToArray(), output)),
                "help" or "--help" or "-h" => Help(output),
                var verb => throw new UsageException($"unknown verb '{verb}'"),
            };
        }
        catch (UsageException e)
        {
            error.WriteLine($"aml: {e.Message}");
            return 2;
        }
        catch (Grpc.Core.RpcException e)
        {
            error.WriteLine($"aml: the gateway says {e.StatusCode}: {e.Status.Detail}");
            return 1;
        }
        catch (Exception e) when (e is Risk.CandleFormatException or InvalidDataException or FileNotFoundException or ArgumentException or HttpRequestException)
        {
            error.WriteLine($"aml: {e.Message}");
            return 1;
        }
    }

    private static int Help(TextWriter output)
    {
        output.WriteLine("""
            usage: aml-cli <verb> [flags]
              train    --data <csv>... --out <dir> [--from <date>] [--to <date>] [--trees N] [--json]   (several assets: a pooled set)
              backtest --data <csv>... [--from <date>] [--to <date>] [--models <dir>] [--policy static|volscaled|aml|all] [--json] [--plot <dir>]
              quote    --asset BTC-USD --long|--short --collateral <USDC> --leverage <x> [--key <hex>] [--gateway <url>]
              open     (as quote; signs the decision and opens)
              positions [--key <hex>] [--gateway <url>]
              watch    --position <id> [--key <hex>] [--gateway <url>]
            """);
        return 0;
    }
}
