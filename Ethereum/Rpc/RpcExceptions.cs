using Aml.Orleans.Ethereum.Abi;

namespace Aml.Orleans.Ethereum.Rpc;

/// <summary>A JSON-RPC error object returned by the node.</summary>
public class JsonRpcException : Exception
{
    /// <summary>Creates the exception for one error object.</summary>
    public JsonRpcException(string method, int code, string rpcMessage, string? data)
        : base($"{method}: JSON-RPC error {code}: {rpcMessage}")
    {
        Method = method;
        Code = code;
        RpcMessage = rpcMessage;
        ErrorData = data;
    }

    /// <summary>The method that failed.</summary>
    public string Method { get; }

    /// <summary>The JSON-RPC error code.</summary>
    public int Code { get; }

    /// <summary>The node's message.</summary>
    public string RpcMessage { get; }

    /// <summary>The error object's <c>data</c> member (revert data for reverts), raw JSON if not a string.</summary>
    public string? ErrorData { get; }

    /// <summary>Maps an error object to the most specific exception type.</summary>
    public static JsonRpcException Create(string method, int code, string message, string? data, AbiContract? errors)
    {
        var lower = message.ToLowerInvariant();
        if (code == 3 || lower.Contains("execution reverted", StringComparison.Ordinal) || lower.Contains("revert", StringComparison.Ordinal))
        {
            byte[] revertData;
            try
            {
                revertData = data is not null && data.StartsWith("0x", StringComparison.Ordinal) ? Hex.Decode(data) : [];
            }
            catch (FormatException)
            {
                // Some nodes put a message rather than hex in data; the revert is still a revert.
                revertData = [];
            }

            var decoded = (errors ?? AbiContract.Empty).TryDecodeError(revertData);
            return new ExecutionRevertedException(method, code, message, data, revertData, decoded);
        }

        if (lower.Contains("nonce too low", StringComparison.Ordinal))
        {
            return new NonceTooLowException(method, code, message, data);
        }

        if (lower.Contains("underpriced", StringComparison.Ordinal) || lower.Contains("less than block base fee", StringComparison.Ordinal)
            || lower.Contains("fee cap less than", StringComparison.Ordinal))
        {
            return new TransactionUnderpricedException(method, code, message, data);
        }

        if (code == -32601)
        {
            return new MethodNotSupportedException(method, code, message);
        }

        if (code is -32021 or -32022)
        {
            return new RateLimitedException(method, code, message);
        }

        return new JsonRpcException(method, code, message, data);
    }
}

/// <summary>The call or transaction reverted; <see cref="RevertData"/> is decoded into <see cref="DecodedError"/> when known.</summary>
public sealed class ExecutionRevertedException(string method, int code, string rpcMessage, string? data, byte[] revertData, AbiDecoded? decodedError)
    : JsonRpcException(method, code, decodedError is null ? rpcMessage : $"{rpcMessage} [{decodedError}]", data)
{
    /// <summary>The raw revert data (empty for a bare <c>revert()</c>).</summary>
    public byte[] RevertData { get; } = revertData;

    /// <summary>The decoded custom error, <c>Error(string)</c> or <c>Panic(uint256)</c>; null if unknown.</summary>
    public AbiDecoded? DecodedError { get; } = decodedError;
}

/// <summary>The nonce was already used: resync the local nonce from <c>eth_getTransactionCount(…, "pending")</c>.</summary>
public sealed class NonceTooLowException(string method, int code, string rpcMessage, string? data)
    : JsonRpcException(method, code, rpcMessage, data);

/// <summary>The fee is below the base fee or too low to replace a pending transaction.</summary>
public sealed class TransactionUnderpricedException(string method, int code, string rpcMessage, string? data)
    : JsonRpcException(method, code, rpcMessage, data);

/// <summary>The endpoint does not offer the method (-32601 or HTTP 403): fall back to another way.</summary>
public sealed class MethodNotSupportedException(string method, int code, string rpcMessage)
    : JsonRpcException(method, code, rpcMessage, null);

/// <summary>The endpoint rate-limits (HTTP 429, -32021/-32022): back off.</summary>
public sealed class RateLimitedException(string method, int code, string rpcMessage)
    : JsonRpcException(method, code, rpcMessage, null);

/// <summary>No answer within the configured time. For a send this is inconclusive: look the hash up.</summary>
public sealed class RpcTimeoutException(string message, Exception? inner = null) : TimeoutException(message, inner);

/// <summary>
/// A transaction waits behind a missing nonce: the account's mined nonce is below the transaction's and no
/// receipt arrived in time. Fill the gap (or replace the transaction) before anything else can be mined.
/// </summary>
public sealed class NonceGapException(Bytes32 transactionHash, ulong transactionNonce, ulong accountNonce)
    : Exception($"transaction {transactionHash} has nonce {transactionNonce} but the account's next mined nonce is {accountNonce}")
{
    /// <summary>The stuck transaction.</summary>
    public Bytes32 TransactionHash { get; } = transactionHash;

    /// <summary>Its nonce.</summary>
    public ulong TransactionNonce { get; } = transactionNonce;

    /// <summary>The account's latest (mined) nonce.</summary>
    public ulong AccountNonce { get; } = accountNonce;
}

/// <summary>A transaction was mined but failed; <see cref="Revert"/> holds the replayed revert reason when available.</summary>
public sealed class TransactionFailedException(TransactionReceipt receipt, ExecutionRevertedException? revert)
    : Exception($"transaction {receipt.TransactionHash} reverted" + (revert?.DecodedError is { } e ? $": {e}" : string.Empty), revert)
{
    /// <summary>The receipt with status 0.</summary>
    public TransactionReceipt Receipt { get; } = receipt;

    /// <summary>The revert replayed with <c>eth_call</c> at the transaction's block.</summary>
    public ExecutionRevertedException? Revert { get; } = revert;
}
