using System.Net;
using System.Net.Sockets;
using System.Text;
using Aml.Orleans.Ethereum.Rpc;

namespace Aml.Orleans.Ethereum.Tests;

/// <summary>Transport failures against a real local socket that answers the way a misbehaving endpoint does.</summary>
public sealed class JsonRpcClientTests
{
    [Fact]
    public async Task Request_ServerNeverAnswers_RpcTimeoutException()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var http = new HttpClient();
        var client = new JsonRpcClient(http, Url(listener), new JsonRpcClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(300) });

        var error = await Assert.ThrowsAsync<RpcTimeoutException>(() => client.GetChainIdAsync());

        Assert.Contains("eth_chainId", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_CallerCancels_OperationCanceledNotTimeout()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var http = new HttpClient();
        var client = new JsonRpcClient(http, Url(listener), new JsonRpcClientOptions { RequestTimeout = TimeSpan.FromMinutes(5) });
        using var cancel = new CancellationTokenSource();

        var call = client.GetChainIdAsync(cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Theory]
    [InlineData("429 Too Many Requests", "", typeof(RateLimitedException))]
    [InlineData("403 Forbidden", "", typeof(MethodNotSupportedException))]
    [InlineData("200 OK", """{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}""", typeof(MethodNotSupportedException))]
    [InlineData("200 OK", """{"jsonrpc":"2.0","id":1,"error":{"code":-32022,"message":"rate limited"}}""", typeof(RateLimitedException))]
    [InlineData("200 OK", """{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"replacement transaction underpriced"}}""", typeof(TransactionUnderpricedException))]
    [InlineData("200 OK", """{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"realtime transaction expired"}}""", typeof(JsonRpcException))]
    public async Task Request_ErrorAnswers_MappedToTypedExceptions(string status, string body, Type expected)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = AnswerOnceAsync(listener, status, body);
        using var http = new HttpClient();
        var client = new JsonRpcClient(http, Url(listener));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => client.SendRawTransactionAsync([0x02]));
        await server;

        Assert.IsType(expected, error);
    }

    private static Uri Url(TcpListener listener) => new($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");

    private static async Task AnswerOnceAsync(TcpListener listener, string status, string body)
    {
        using var socket = await listener.AcceptTcpClientAsync();
        var stream = socket.GetStream();
        var buffer = new byte[65536];
        var request = new StringBuilder();
        while (!request.ToString().EndsWith('}'))
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                break;
            }

            request.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        var payload = Encoding.UTF8.GetBytes(body);
        var head = $"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(payload);
    }
}
