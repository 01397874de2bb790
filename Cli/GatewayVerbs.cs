using System.Globalization;
using Aml.Orleans.Client;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Protos;
using Grpc.Core;
using Grpc.Net.Client;

namespace Aml.Orleans.Cli;

/// <summary>
/// <c>aml quote | open | positions | watch | add-collateral | close</c>: the gateway as a frontend uses it — sign in
/// with the wallet key, ask for terms, sign the decision's digest, open, follow, and send the wallet calls the gateway
/// prepares (top-up, close) from the trader's own account. The key comes from <c>--key</c> or <c>AML_TRADER_KEY</c>
/// (dev: an anvil key); it never leaves this process, only signatures and signed transactions do.
/// </summary>
internal static class GatewayVerbs
{
    private static readonly string[] Common = ["--gateway", "--key"];
    private const decimal UsdcScale = 1_000_000m;
    private const decimal PriceScale = 100_000_000m;

    public static async Task<int> QuoteAsync(IReadOnlyList<string> args, TextWriter output, bool open)
    {
        var a = new Arguments(args, [.. Common, "--asset", "--collateral", "--leverage"], ["--long", "--short"]);
        if (a.Has("--long") == a.Has("--short"))
        {
            throw new UsageException("say --long or --short");
        }

        var collateral = Money(a.Required("--collateral"), "--collateral");
        var leverage = decimal.TryParse(a.Required("--leverage"), NumberStyles.Number, CultureInfo.InvariantCulture, out var l) && l >= 1 && l <= 1_000
            ? (long)(l * 100)
            : throw new UsageException("--leverage must be a number from 1 to 1000 (e.g. 5 or 12.5)");
        var (channel, key, headers) = await ConnectAsync(a);
        using (channel)
        {
            var positions = new Positions.PositionsClient(channel);
            // A refusal is an RpcException (the gateway's one convention); Program prints it and exits 1.
            var quote = await positions.QuoteAsync(
                new QuoteRequest { Asset = a.Required("--asset"), IsLong = a.Has("--long"), Collateral = collateral, RequestedLeverageX100 = leverage }, headers);
            var d = quote.Decision;
            output.WriteLine($"position {quote.PositionId}: {d.Asset} {(d.IsLong ? "long" : "short")} size {Usdc(d.Size)} at {Usd(d.MarkPriceE8)}, " +
                             $"cap {d.MaxLeverageX100 / 100m:F2}x, maintenance {d.MaintenanceMarginBps / 100m:F2} %, risk {d.RiskScoreBps / 100m:F2} %, model {d.ModelHash}" +
                             (quote.Reason.Length > 0 ? $" ({quote.Reason})" : ""));
            foreach (var c in quote.Explanation)
            {
                output.WriteLine($"  {c.Model,-9} {c.Feature,-26} {c.Value,10:G4} → {c.Contribution:+0.0000;-0.0000}");
            }

            if (!open)
            {
                return 0;
            }

            var signature = Hex.Encode(key.SignHash(Hex.Decode(quote.Digest)).ToRsv());
            var position = await positions.OpenAsync(new OpenRequest
            {
                PositionId = quote.PositionId, Digest = quote.Digest, TraderSignature = signature, Decision = quote.Decision, QuoteToken = quote.QuoteToken,
            }, headers);
            output.WriteLine($"signed {quote.Digest}; position {position.PositionId} is {position.Status}");
            return 0;
        }
    }

    public static async Task<int> PositionsAsync(IReadOnlyList<string> args, TextWriter output)
    {
        var a = new Arguments(args, Common, []);
        var (channel, _, headers) = await ConnectAsync(a);
        using (channel)
        {
            var mine = await new Positions.PositionsClient(channel).ListMineAsync(new ListMineRequest(), headers);
            foreach (var p in mine.Positions)
            {
                output.WriteLine(Line(p));
            }

            output.WriteLine($"{mine.Positions.Count} position(s)");
            return 0;
        }
    }

    public static async Task<int> WatchAsync(IReadOnlyList<string> args, TextWriter output)
    {
        var a = new Arguments(args, [.. Common, "--position"], []);
        var (channel, _, headers) = await ConnectAsync(a);
        using (channel)
        {
            using var call = new Positions.PositionsClient(channel).Watch(new GetPositionRequest { PositionId = a.Required("--position") }, headers);
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss} {Line(call.ResponseStream.Current)}");
            }

            return 0;
        }
    }

    /// <summary><c>aml add-collateral --position ID --amount USDC</c>: the gateway's addCollateral call, sent from the trader's account.</summary>
    public static async Task<int> AddCollateralAsync(IReadOnlyList<string> args, TextWriter output)
    {
        var a = new Arguments(args, [.. Common, "--rpc", "--position", "--amount"], []);
        var amount = Money(a.Required("--amount"), "--amount");
        var (channel, key, headers) = await ConnectAsync(a);
        using (channel)
        {
            var call = await new Positions.PositionsClient(channel).AddCollateralAsync(
                new AddCollateralRequest { PositionId = a.Required("--position"), Amount = amount }, headers);
            var receipt = await SendAsync(a, key, call);
            output.WriteLine($"added {Usdc(amount)} to position {a.Required("--position")}: transaction {receipt.TransactionHash} in block {receipt.BlockNumber}");
            return 0;
        }
    }

    /// <summary><c>aml close --position ID</c>: the oracle's signed CLOSE, sent from the trader's account as the contract requires.</summary>
    public static async Task<int> CloseAsync(IReadOnlyList<string> args, TextWriter output)
    {
        var a = new Arguments(args, [.. Common, "--rpc", "--position"], []);
        var (channel, key, headers) = await ConnectAsync(a);
        using (channel)
        {
            var signed = await new Positions.PositionsClient(channel).RequestCloseAsync(new GetPositionRequest { PositionId = a.Required("--position") }, headers);
            var receipt = await SendAsync(a, key, signed.WalletCall);
            output.WriteLine($"closed position {a.Required("--position")} at {Usd(signed.Decision.MarkPriceE8)}: decision {signed.Digest}, " +
                             $"transaction {receipt.TransactionHash} in block {receipt.BlockNumber}");
            return 0;
        }
    }

    private static async Task<Ethereum.Rpc.TransactionReceipt> SendAsync(Arguments a, LocalKeySigner key, WalletCall call)
    {
        var url = a.One("--rpc") ?? Environment.GetEnvironmentVariable("AML_RPC_URL") ?? "http://127.0.0.1:8545";
        var endpoint = Uri.TryCreate(url, UriKind.Absolute, out var parsed) ? parsed : throw new UsageException($"--rpc '{url}' is not a URL");
        using var http = new HttpClient();
        var rpc = new Ethereum.Rpc.JsonRpcClient(http, endpoint);
        var chainId = await rpc.GetChainIdAsync();
        if (chainId != call.ChainId)
        {
            throw new UsageException($"--rpc {url} is chain {chainId}; the gateway's contract is on chain {call.ChainId}");
        }

        var sender = new Ethereum.Rpc.TransactionSender(rpc);
        try
        {
            return await sender.SendAndWaitAsync(await sender.SignEip1559Async(key, Address.Parse(call.To), Hex.Decode(call.Data)));
        }
        catch (Ethereum.Rpc.ExecutionRevertedException revert)
        {
            throw new InvalidDataException($"the contract refuses it: {revert.DecodedError?.ToString() ?? revert.RpcMessage} (revert data {Hex.Encode(revert.RevertData)})");
        }
    }

    private static string Line(Position p) =>
        $"{p.PositionId} {p.Asset} {(p.IsLong ? "long " : "short")} {p.Status,-10} collateral {Usdc(p.Collateral)} size {Usdc(p.Size)} " +
        $"pnl {Usdc(p.Pnl)} mark {Usd(p.MarkPriceE8)} liq {Usd(p.LiquidationPriceE8)} margin {p.MarginRatioBps / 100m:F2} %" +
        (p.Suggestion is "" or "None" ? "" : $" {p.Suggestion}: {p.SuggestionReason}") +
        (p.RejectionReason.Length > 0 ? $" rejected: {p.RejectionReason}" : "");

    private static string Usdc(long units) => (units / UsdcScale).ToString("0.000000", CultureInfo.InvariantCulture) + " USDC";

    private static string Usd(long priceE8) => (priceE8 / PriceScale).ToString("0.00", CultureInfo.InvariantCulture) + " USD";

    /// <summary>A USDC amount in collateral units; anything that does not fit 64 bits is a usage error, never an overflow.</summary>
    private static long Money(string text, string flag) =>
        decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var usdc) && usdc > 0 && usdc <= long.MaxValue / UsdcScale
            ? (long)(usdc * UsdcScale)
            : throw new UsageException($"{flag} must be a positive USDC amount up to {long.MaxValue / UsdcScale:0} (e.g. 1000)");

    private static async Task<(GrpcChannel Channel, LocalKeySigner Key, Metadata Headers)> ConnectAsync(Arguments a)
    {
        var keyHex = a.One("--key") ?? Environment.GetEnvironmentVariable("AML_TRADER_KEY")
                     ?? throw new UsageException("--key <hex private key> (or AML_TRADER_KEY) is required to sign in");
        LocalKeySigner key;
        try
        {
            key = LocalKeySigner.FromHex(keyHex);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new UsageException("--key is not a 32-byte hex private key");
        }

        var channel = GrpcChannel.ForAddress(a.One("--gateway") ?? "http://127.0.0.1:8080");
        return (channel, key, await WalletSignInClient.SignInAsync(channel, key));
    }
}
