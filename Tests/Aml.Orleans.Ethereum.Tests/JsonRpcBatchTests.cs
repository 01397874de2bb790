using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Aml.Orleans.Ethereum.Rpc;

namespace Aml.Orleans.Ethereum.Tests;

/// <summary>JSON-RPC batches and pipelined broadcasts against a real anvil (its own, this class's fixture).</summary>
public sealed class JsonRpcBatchTests(AnvilFixture anvil) : IClassFixture<AnvilFixture>
{
    private static readonly Address Recipient = new(Keccak.Hash("batch recipient").AsSpan(12));

    [Fact]
    public async Task RequestBatchAsync_MoreCallsThanOneBatch_EachResultInCallOrderAsAskedOneByOne()
    {
        var client = new JsonRpcClient(new HttpClient(), anvil.HttpUrl, new JsonRpcClientOptions { MaxBatchSize = 7 });
        var head = await client.GetBlockNumberAsync();
        // 20 calls over three batches, two methods mixed, so an answer put in the wrong place shows.
        var calls = Enumerable.Range(0, 20)
            .Select(i => i % 5 == 0 ? new RpcCall("eth_chainId", []) : new RpcCall("eth_getBlockByNumber", [Quantity.Encode((ulong)i % (head + 1)), false]))
            .ToList();

        var results = await client.RequestBatchAsync(calls);

        Assert.Equal(calls.Count, results.Length);
        for (var i = 0; i < calls.Count; i++)
        {
            var single = await client.RequestAsync(calls[i].Method, calls[i].Parameters);
            Assert.Equal(single.GetRawText(), results[i].GetRawText());
        }
    }

    [Fact]
    public async Task BroadcastAsync_ManyInNonceOrder_AllMinedAndTheirReceiptsReadInOneBatchedCall()
    {
        var signer = LocalKeySigner.FromHex(AnvilFixture.DevKeys[4]);
        var sender = new TransactionSender(anvil.Rpc);
        var nonce = await anvil.Rpc.GetTransactionCountAsync(signer.Address, "pending");
        var fees = await anvil.Rpc.GetFeesAsync();
        var txs = new List<SignedTransaction>();
        for (var i = 0; i < 30; i++)
        {
            txs.Add(await sender.SignEip1559Async(signer, Recipient, [], fees, 21_000, nonce + (ulong)i));
        }

        foreach (var tx in txs)
        {
            Assert.Null(await sender.BroadcastAsync(tx)); // accepted, not waited for
        }

        var hashes = txs.Select(t => t.Hash).Append(Bytes32.KeccakOf("never sent")).ToList();
        var receipts = await EventuallyAsync(() => anvil.Rpc.GetTransactionReceiptsAsync(hashes), r => r.Take(txs.Count).All(x => x is not null));

        Assert.Equal(txs.Select(t => t.Hash), receipts.Take(txs.Count).Select(r => r!.TransactionHash));
        Assert.All(receipts.Take(txs.Count), r => Assert.True(r!.Succeeded));
        Assert.Null(receipts[^1]);
        Assert.Equal(nonce + (ulong)txs.Count, await anvil.Rpc.GetTransactionCountAsync(signer.Address, "latest"));
    }

    [Fact]
    public async Task BroadcastAsync_SameBytesAgain_NoErrorWhilePendingAndTheReceiptOnceMined()
    {
        var signer = LocalKeySigner.FromHex(AnvilFixture.DevKeys[5]);
        var sender = new TransactionSender(anvil.Rpc);
        var tx = await sender.SignEip1559Async(signer, Recipient, [], value: 1);

        await anvil.Rpc.RequestAsync("evm_setAutomine", [false]);
        try
        {
            Assert.Null(await sender.BroadcastAsync(tx));
            Assert.Null(await sender.BroadcastAsync(tx)); // "transaction already imported": the pool has it
        }
        finally
        {
            await anvil.Rpc.RequestAsync("evm_setAutomine", [true]);
        }

        await anvil.Rpc.RequestAsync("evm_mine", []);
        var receipt = await sender.BroadcastAsync(tx); // "nonce too low", answered from the receipt
        Assert.Equal(tx.Hash, receipt!.TransactionHash);
        Assert.True(receipt.Succeeded);
    }

    [Fact]
    public async Task CallAllAsync_OneCallReverts_ThrowsItsDecodedRevert()
    {
        var divide = anvil.ProbeAbi.Function("divide");
        var calls = new[]
        {
            new CallRequest(anvil.Probe, divide.EncodeCall(new BigInteger(10), new BigInteger(2))),
            new CallRequest(anvil.Probe, anvil.ProbeAbi.Function("fail").EncodeCall("margin too thin")),
        };

        Assert.Equal(new BigInteger(5), (BigInteger)divide.DecodeOutput((await anvil.Rpc.CallAllAsync(calls[..1]))[0])[0]);
        var revert = await Assert.ThrowsAsync<ExecutionRevertedException>(() => anvil.Rpc.CallAllAsync(calls));
        Assert.Equal("eth_call", revert.Method);
        Assert.Contains("margin too thin", revert.DecodedError?.ToString() ?? revert.RpcMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestBatchAsync_EndpointRefusesBatches_AsksOneCallAtATime()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var bodies = new List<string>();
        var server = AnswerAsync(listener, bodies, batch => batch
            ? """{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch requests are not supported"}}"""
            : """{"jsonrpc":"2.0","id":1,"result":"0x18c7"}""", answers: 3);
        var client = new JsonRpcClient(new HttpClient(), new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/"));

        var results = await client.RequestBatchAsync([new RpcCall("eth_chainId", []), new RpcCall("eth_chainId", [])]);
        await server;

        Assert.All(results, r => Assert.Equal("0x18c7", r.GetString()));
        Assert.StartsWith("[", bodies[0], StringComparison.Ordinal);
        Assert.All(bodies.Skip(1), b => Assert.StartsWith("{", b, StringComparison.Ordinal));
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var value = await read();
            if (condition(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Answers <paramref name="answers"/> requests, one a connection, with what <paramref name="answer"/> gives for a batch or a single call.</summary>
    private static async Task AnswerAsync(TcpListener listener, List<string> bodies, Func<bool, string> answer, int answers)
    {
        for (var n = 0; n < answers; n++)
        {
            using var socket = await listener.AcceptTcpClientAsync();
            var stream = socket.GetStream();
            var request = await ReadRequestBodyAsync(stream);
            bodies.Add(request);
            var payload = Encoding.UTF8.GetBytes(answer(request.StartsWith('[')));
            var head = $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.WriteAsync(payload);
        }
    }

    private static async Task<string> ReadRequestBodyAsync(NetworkStream stream)
    {
        var buffer = new byte[65536];
        var text = new StringBuilder();
        while (true)
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                return text.ToString();
            }

            text.Append(Encoding.UTF8.GetString(buffer, 0, read));
            var all = text.ToString();
            var split = all.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            var length = all.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
            if (split >= 0 && length is not null && all.Length - split - 4 >= int.Parse(length["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture))
            {
                return JsonDocument.Parse(all[(split + 4)..]).RootElement.GetRawText();
            }
        }
    }
}
