using System.Diagnostics;
using Aml.Orleans.Client;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using QuoteRequest = Aml.Orleans.Protos.QuoteRequest;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Protos;
using Aml.Orleans.Risk;
using Grpc.Core;
using Grpc.Net.Client;

namespace Aml.Orleans.Benchmarks.Load;

/// <summary>
/// What the gateway measured under <see cref="Clients"/> concurrent signed-in clients. <see cref="FirstQuote"/> is each
/// client's first quote (cold: it is not part of <see cref="Quote"/>); the CPU figures are the silo's user + system time
/// over a phase divided by its calls (a machine shared with other work inflates latency far more than these).
/// </summary>
internal sealed record GatewayResult(
    int Clients,
    Latencies MarketRead,
    Latencies FirstQuote,
    Latencies Quote,
    double QuotesPerSecond,
    TimeSpan SiloCpuPerMarketRead,
    TimeSpan SiloCpuPerQuote,
    Latencies OpenAck,
    Latencies OpenToOnChain);

/// <summary>
/// End to end through the gateway, as the frontend uses it: each client has its own HTTP/2 connection and signs in with
/// a trader's wallet; quotes are timed against the cheapest authenticated round trip in the same run (reading a
/// market), and each open is timed to the gateway's answer (the oracle has the trader's signature) and on until the
/// position reads Open (the contract accepted it and the indexer brought the event back).
/// </summary>
internal sealed class GatewayLoad(LoadStack stack)
{
    private const long Collateral = 200_000_000; // 200 USDC

    public async Task<GatewayResult> RunAsync(string asset, string candleFile)
    {
        var lastClose = await WarmUpMarketAsync(asset, candleFile);
        await stack.WaitForChainClockAsync();
        var settings = stack.Settings;
        Progress.Say($"gateway: {settings.Clients} clients on {asset} at {lastClose / 100_000_000m:N2} USD, {settings.QuotesPerClient} quotes and {settings.OpensPerClient} opens each");

        var clients = await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(c => SignInAsync(c)));
        try
        {
            // Each client's first call of a kind runs cold (its HTTP/2 stream, the JIT of the path): timed on its own, and
            // the steady-state figures start after it.
            var firstQuote = new Latencies();
            await Task.WhenAll(clients.Select(c => RepeatAsync(1, new Latencies(), () =>
                new Markets.MarketsClient(c.Channel).GetMarketAsync(new GetMarketRequest { Asset = asset }, c.Headers).ResponseAsync)));
            await Task.WhenAll(clients.Select(c => RepeatAsync(1, firstQuote, () => QuoteAsync(c, asset))));

            var read = new Latencies();
            var readCpu = stack.SiloCpuTime();
            await Task.WhenAll(clients.Select(c => RepeatAsync(settings.QuotesPerClient, read, () =>
                new Markets.MarketsClient(c.Channel).GetMarketAsync(new GetMarketRequest { Asset = asset }, c.Headers).ResponseAsync)));
            readCpu = stack.SiloCpuTime() - readCpu;

            var quote = new Latencies();
            var quoteCpu = stack.SiloCpuTime();
            var quoting = Stopwatch.StartNew();
            await Task.WhenAll(clients.Select(c => RepeatAsync(settings.QuotesPerClient, quote, () => QuoteAsync(c, asset))));
            var quotesPerSecond = quote.Count / quoting.Elapsed.TotalSeconds;
            quoteCpu = stack.SiloCpuTime() - quoteCpu;

            var ack = new Latencies();
            var onChain = new Latencies();
            await Task.WhenAll(clients.Select(c => OpenAllAsync(c, asset, ack, onChain)));
            return new GatewayResult(
                settings.Clients, read, firstQuote, quote, quotesPerSecond, readCpu / Math.Max(1, read.Count), quoteCpu / Math.Max(1, quote.Count), ack, onChain);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Channel.Dispose();
            }
        }
    }

    /// <summary>
    /// Gives the market the real candles that follow the models' training window (enough for every feature's warm-up)
    /// and a tick at the last close; returns that price.
    /// </summary>
    private async Task<long> WarmUpMarketAsync(string asset, string candleFile)
    {
        var market = stack.Grains.GetGrain<IMarketGrain>(asset);
        var trainedTo = stack.Settings.TrainedTo;
        var candles = CandleLoader.Load(candleFile).Between(trainedTo, trainedTo.AddDays(30)).Take(FeatureWindow.WarmUp + 5)
            .Select(c => c.ToMarketCandle()).ToArray();
        Progress.Say($"gateway: warming {asset} up with {candles.Length} hourly candles after {trainedTo:yyyy-MM-dd}");
        if (await market.GetFeaturesAsync() is null)
        {
            foreach (var candle in candles)
            {
                await market.CloseCandleAsync(candle);
            }
        }

        var price = candles[^1].CloseE8;
        await stack.SetFeedPriceAsync(asset, price); // quotes become OPENs, which the feed guard checks
        var outcome = await market.SubmitTickAsync(new MarketTick(price, DateTimeOffset.UtcNow));
        return outcome.Accepted ? price : throw new InvalidOperationException($"{asset} refused the tick at {price}: {outcome.Rejection}");
    }

    private sealed record SignedInClient(GrpcChannel Channel, Metadata Headers, LocalKeySigner Trader);

    /// <summary>Client <paramref name="index"/> connects and signs in as a trader (the three dev traders in turn).</summary>
    private async Task<SignedInClient> SignInAsync(int index)
    {
        var channel = GrpcChannel.ForAddress(stack.Settings.Gateway);
        var trader = stack.Account(LoadStack.TraderAccounts[index % LoadStack.TraderAccounts.Length]);
        return new SignedInClient(channel, await WalletSignInClient.SignInAsync(channel, trader), trader);
    }

    private static async Task RepeatAsync(int times, Latencies latencies, Func<Task> call)
    {
        for (var i = 0; i < times; i++)
        {
            var clock = Stopwatch.StartNew();
            await call();
            latencies.Add(clock.Elapsed);
        }
    }

    private static async Task<QuoteResponse> QuoteAsync(SignedInClient client, string asset)
    {
        var quote = await new Positions.PositionsClient(client.Channel).QuoteAsync(
            new QuoteRequest { Asset = asset, IsLong = true, Collateral = Collateral, RequestedLeverageX100 = 300 }, client.Headers);
        return quote; // a refusal is an RpcException
    }

    /// <summary>Quote, sign the digest with the trader's key, open; then poll until the position is Open.</summary>
    private async Task OpenAllAsync(SignedInClient client, string asset, Latencies ack, Latencies onChain)
    {
        var positions = new Positions.PositionsClient(client.Channel);
        for (var i = 0; i < stack.Settings.OpensPerClient; i++)
        {
            var quote = await QuoteAsync(client, asset);
            var signature = Hex.Encode(client.Trader.SignHash(Hex.Decode(quote.Digest)).ToRsv());
            var clock = Stopwatch.StartNew();
            await positions.OpenAsync(new OpenRequest { PositionId = quote.PositionId, Digest = quote.Digest, Decision = quote.Decision, QuoteToken = quote.QuoteToken, TraderSignature = signature }, client.Headers);
            ack.Add(clock.Elapsed);
            var deadline = TimeSpan.FromSeconds(60);
            while (true)
            {
                var position = await positions.GetAsync(new GetPositionRequest { PositionId = quote.PositionId }, client.Headers);
                if (position.Status == "Open")
                {
                    onChain.Add(clock.Elapsed);
                    break;
                }

                if (position.Status is "Rejected" || clock.Elapsed > deadline)
                {
                    throw new InvalidOperationException($"position {quote.PositionId} is {position.Status} {clock.Elapsed.TotalSeconds:F0} s after its open");
                }

                await Task.Delay(5);
            }
        }
    }
}
