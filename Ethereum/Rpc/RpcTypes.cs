using System.Globalization;
using System.Numerics;
using System.Text.Json;

namespace Aml.Orleans.Ethereum.Rpc;

/// <summary>JSON-RPC quantities: 0x-prefixed hex without leading zeros.</summary>
public static class Quantity
{
    /// <summary>Encodes a non-negative integer, zero as <c>0x0</c>.</summary>
    public static string Encode(BigInteger value) =>
        value.Sign < 0
            ? throw new ArgumentOutOfRangeException(nameof(value), value, "quantities are non-negative")
            : "0x" + (value.IsZero ? "0" : Convert.ToHexStringLower(value.ToByteArray(isUnsigned: true, isBigEndian: true)).TrimStart('0'));

    /// <summary>Decodes a quantity (leading zeros tolerated, since some servers send them).</summary>
    public static BigInteger Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || text.Length < 3)
        {
            throw new FormatException($"not a hex quantity: '{text}'");
        }

        return BigInteger.Parse("0" + text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
    }

    internal static ulong DecodeUInt64(JsonElement element, string field) =>
        (ulong)Decode(element.GetString() ?? throw new FormatException($"'{field}' is null"));
}

/// <summary>The call object of <c>eth_call</c> / <c>eth_estimateGas</c>.</summary>
public sealed record CallRequest(Address? To, byte[] Data, Address? From = null, BigInteger? Value = null, ulong? Gas = null)
{
    internal Dictionary<string, string> ToJson()
    {
        var json = new Dictionary<string, string> { ["data"] = Hex.Encode(Data) };
        if (To is { } to)
        {
            json["to"] = to.ToLowerHex();
        }

        if (From is { } from)
        {
            json["from"] = from.ToLowerHex();
        }

        if (Value is { } value)
        {
            json["value"] = Quantity.Encode(value);
        }

        if (Gas is { } gas)
        {
            json["gas"] = Quantity.Encode(gas);
        }

        return json;
    }
}

/// <summary>A log as returned by <c>eth_getLogs</c>, receipts and <c>logs</c> subscriptions.</summary>
public sealed record LogEntry(
    Address Address, IReadOnlyList<Bytes32> Topics, byte[] Data, ulong? BlockNumber, Bytes32? TransactionHash, ulong? LogIndex, bool Removed)
{
    internal static LogEntry FromJson(JsonElement json) => new(
        Address.Parse(json.GetProperty("address").GetString()!),
        json.GetProperty("topics").EnumerateArray().Select(t => Bytes32.Parse(t.GetString()!)).ToArray(),
        Hex.Decode(json.GetProperty("data").GetString()!),
        OptionalQuantity(json, "blockNumber"),
        OptionalHash(json, "transactionHash"),
        OptionalQuantity(json, "logIndex"),
        json.TryGetProperty("removed", out var removed) && removed.ValueKind == JsonValueKind.True);

    internal static ulong? OptionalQuantity(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? Quantity.DecodeUInt64(value, name) : null;

    internal static Bytes32? OptionalHash(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? Bytes32.Parse(value.GetString()!) : null;
}

/// <summary>A transaction receipt. <see cref="BlockHash"/> is null on MegaETH while only preconfirmed in a mini-block.</summary>
public sealed record TransactionReceipt(
    Bytes32 TransactionHash, Bytes32? BlockHash, ulong? BlockNumber, bool Succeeded, ulong GasUsed, BigInteger EffectiveGasPrice,
    Address? ContractAddress, IReadOnlyList<LogEntry> Logs, Address From, Address? To)
{
    internal static TransactionReceipt FromJson(JsonElement json) => new(
        Bytes32.Parse(json.GetProperty("transactionHash").GetString()!),
        LogEntry.OptionalHash(json, "blockHash"),
        LogEntry.OptionalQuantity(json, "blockNumber"),
        Quantity.DecodeUInt64(json.GetProperty("status"), "status") == 1,
        Quantity.DecodeUInt64(json.GetProperty("gasUsed"), "gasUsed"),
        json.TryGetProperty("effectiveGasPrice", out var price) && price.ValueKind == JsonValueKind.String ? Quantity.Decode(price.GetString()!) : BigInteger.Zero,
        OptionalAddress(json, "contractAddress"),
        json.GetProperty("logs").EnumerateArray().Select(LogEntry.FromJson).ToArray(),
        Address.Parse(json.GetProperty("from").GetString()!),
        OptionalAddress(json, "to"));

    private static Address? OptionalAddress(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? Address.Parse(value.GetString()!) : null;
}

/// <summary>The header fields the engine reads: number, hash (null for a pending block), timestamp and base fee.</summary>
public sealed record BlockHeader(ulong Number, Bytes32? Hash, ulong Timestamp, BigInteger BaseFeePerGas)
{
    internal static BlockHeader FromJson(JsonElement json) => new(
        Quantity.DecodeUInt64(json.GetProperty("number"), "number"),
        LogEntry.OptionalHash(json, "hash"),
        Quantity.DecodeUInt64(json.GetProperty("timestamp"), "timestamp"),
        json.TryGetProperty("baseFeePerGas", out var fee) && fee.ValueKind == JsonValueKind.String ? Quantity.Decode(fee.GetString()!) : BigInteger.Zero);
}

/// <summary>A log filter for <c>eth_getLogs</c> and <c>logs</c> subscriptions; a null topic matches anything.</summary>
public sealed record LogFilter(Address? Address = null, IReadOnlyList<Bytes32?>? Topics = null, string? FromBlock = null, string? ToBlock = null)
{
    internal Dictionary<string, object?> ToJson()
    {
        var json = new Dictionary<string, object?>();
        if (Address is { } address)
        {
            json["address"] = address.ToLowerHex();
        }

        if (Topics is not null)
        {
            json["topics"] = Topics.Select(t => t?.ToString()).ToArray();
        }

        if (FromBlock is not null)
        {
            json["fromBlock"] = FromBlock;
        }

        if (ToBlock is not null)
        {
            json["toBlock"] = ToBlock;
        }

        return json;
    }
}

/// <summary>Fee fields for an EIP-1559 transaction, read from the chain.</summary>
public sealed record FeeEstimate(BigInteger BaseFeePerGas, BigInteger MaxPriorityFeePerGas)
{
    /// <summary>Twice the base fee plus the tip: survives six full blocks of base-fee increases.</summary>
    public BigInteger MaxFeePerGas => (BaseFeePerGas * 2) + MaxPriorityFeePerGas;
}
