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
            if (args.Count > 1 && args.Skip(1).Any(a => a is "--help" or "-h"))
            {
                return VerbHelp(args[0], output);
            }

            return args.Count == 0 ? Help(output) : args[0] switch
            {
                "train" => TrainVerb.Run(args.Skip(1).ToArray(), output),
                "backtest" => BacktestVerb.Backtest(args.Skip(1).ToArray(), output),
                "quote" => Sync(GatewayVerbs.QuoteAsync(args.Skip(1).ToArray(), output, open: false)),
                "open" => Sync(GatewayVerbs.QuoteAsync(args.Skip(1).ToArray(), output, open: true)),
                "positions" => Sync(GatewayVerbs.PositionsAsync(args.Skip(1).ToArray(), output)),
                "watch" => Sync(GatewayVerbs.WatchAsync(args.Skip(1).ToArray(), output)),
                "add-collateral" => Sync(GatewayVerbs.AddCollateralAsync(args.Skip(1).ToArray(), output)),
                "close" => Sync(GatewayVerbs.CloseAsync(args.Skip(1).ToArray(), output)),
                "verify" => Sync(VerifyVerb.RunAsync(args.Skip(1).ToArray(), output)),
                "models" => Sync(ModelsVerb.RunAsync(args.Skip(1).ToArray(), output)),
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
        catch (Exception e) when (e is Risk.CandleFormatException or InvalidDataException or FileNotFoundException or ArgumentException or HttpRequestException
                                      or Ethereum.Rpc.JsonRpcException or Npgsql.NpgsqlException)
        {
            error.WriteLine($"aml: {e.Message}");
            return 1;
        }
    }

    private static int Help(TextWriter output)
    {
        output.WriteLine(Usage);
        return 0;
    }

    /// <summary><c>aml-cli VERB --help</c>: that verb's line of the usage.</summary>
    private static int VerbHelp(string verb, TextWriter output)
    {
        var lines = Usage.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith(verb + " ", StringComparison.Ordinal)).ToList();
        if (lines.Count == 0)
        {
            throw new UsageException($"unknown verb '{verb}'");
        }

        foreach (var line in lines)
        {
            output.WriteLine($"usage: aml-cli {line}");
        }

        return 0;
    }

    private const string Usage = """
            usage: aml-cli <verb> [flags]
              train    --data <csv>... --out <dir> [--from <date>] [--to <date>] [--trees N] [--json] [--publish [--postgres <connection string>]]   (several assets: a pooled set)
              backtest --data <csv>... [--from <date>] [--to <date>] [--models <dir>] [--policy static|volscaled|aml|all] [--trees N] [--margin-coverage <0..1>] [--forgetting <0..1>] [--json] [--plot <dir>]
              quote    --asset BTC-USD --long|--short --collateral <USDC> --leverage <x> [--key <hex>] [--gateway <url>]
              open     (as quote; signs the decision and opens)
              positions [--key <hex>] [--gateway <url>]
              watch    --position <id> [--key <hex>] [--gateway <url>]    (ends after Closed, Liquidated or Rejected)
              add-collateral --position <id> --amount <USDC> [--key <hex>] [--gateway <url>] [--rpc <chain url>]
              close    --position <id> [--key <hex>] [--gateway <url>] [--rpc <chain url>]
              verify   <digest | positionId> [--postgres <connection string>] [--deployment <file>]   (recomputes and checks against the chain; exit 1 on any failure)
              models   [--asset <asset>] [--postgres <connection string>] [--json]   (model cards: training window and data, validation metrics, live coverage)
            amounts are USDC, leverage a multiple; the key is the trader's (or AML_TRADER_KEY), the chain AML_RPC_URL or :8545
            """;
}
