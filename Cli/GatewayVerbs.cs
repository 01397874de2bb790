using System.Globalization;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Protos;
using Grpc.Core;
using Grpc.Net.Client;

namespace Aml.Orleans.Cli;

/// <summary>
/// <c>aml quote | open | positions | watch</c>: the gateway as a frontend uses it — sign in with the wallet key,
/// ask for terms, sign the decision's digest, open, follow. The key comes from <c>--key</c> or <c>AML_TRADER_KEY</c>
/// (dev: an anvil key); it never leaves this process, only signatures do.
/// </summary>
internal static class GatewayVerbs
{
    private static readonly string[] Common = ["--gateway", "--key"];

    public static async Task<int> QuoteAsync(IReadOnlyList<string> args, TextWriter output, bool open)
    {
        var a = new Arguments(args, [.. Common, "--asset", "--collateral", "--leverage"], ["--long", "--short"]);
        if (a.Has("--long") == a.Has("--short"))
        {
            throw new UsageException("say --long or --short");
        }

        var collateral = Money(a.Required("--collateral"), "--collateral");
        var leverage = decimal.TryParse(a.Required("--leverage"), NumberStyles.Number, CultureInfo.InvariantCulture, out var l) && l >= 1
            ? (long)(l * 100)
            : throw new UsageException("--leverage must be a number ≥ 1 (e.g. 5 or 12.5)");
        var (channel, key, headers) = await ConnectAsync(a);
        using (channel)
        {
            var positions = new Positions.PositionsClient(channel);
            var quote = await positions.QuoteAsync(
                new QuoteRequest { Asset = a.Required("--asset"), IsLong = a.Has("--long"), Collateral = collateral, RequestedLeverageX100 = leverage }, headers);
            if (!quote.Accepted)
            {
                output.WriteLine($"refused: {quote.Reason}");
                return 1;
            }

            var d = quote.Decision;
            output.WriteLine($"position {quote.PositionId}: {d.Asset} {(d.IsLong ? "long" : "short")} {d.Size / 1e6:F2} USDC at {d.MarkPriceE8 / 1e8:F2}, " +
                             $"cap {d.MaxLeverageX100 / 100.0:F2}x, maintenance {d.MaintenanceMarginBps / 100.0:F2} %, risk {d.RiskScoreBps / 100.0:F2} %, model {d.ModelHash[..10]}…" +
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
            var position = await positions.OpenAsync(new OpenRequest { PositionId = quote.PositionId, Digest = quote.Digest, TraderSignature = signature }, headers);
            output.WriteLine($"signed {quote.Digest[..10]}…; position {position.PositionId} is {position.Status}");
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

    private static string Line(Position p) =>
        $"{p.PositionId[..10]}… {p.Asset} {(p.IsLong ? "long " : "short")} {p.Status,-11} collateral {p.Collateral / 1e6,10:F2} size {p.Size / 1e6,12:F2} " +
        $"mark {p.MarkPriceE8 / 1e8,10:F2} liq {p.LiquidationPriceE8 / 1e8,10:F2} margin {p.MarginRatioBps / 100.0,6:F2} % {p.Suggestion} {p.SuggestionReason}";

    private static long Money(string text, string flag) =>
        decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var usdc) && usdc > 0
            ? (long)(usdc * 1_000_000)
            : throw new UsageException($"{flag} must be a positive USDC amount (e.g. 1000)");

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
