using System.Numerics;
using Aml.Orleans.Ethereum.Abi;
using Aml.Orleans.Ethereum.Rpc;

namespace Aml.Orleans.Ethereum;

/// <summary>
/// The Chainlink-style price feed (<c>AggregatorV3Interface</c>: <c>decimals</c>, <c>latestRoundData</c>) that
/// MarginManager v2 reads as its independent price guard; RedStone and Chainlink both serve it on MegaETH.
/// </summary>
public static class PriceFeedAbi
{
    /// <summary>The functions the guard reads.</summary>
    public static IReadOnlyList<string> FunctionDeclarations { get; } =
    [
        "decimals() returns (uint8 feedDecimals)",
        "latestRoundData() returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)",
    ];

    /// <summary>The binding as an ABI.</summary>
    public static AbiContract Definition { get; } = new(FunctionDeclarations.Select(AbiFunction.Parse).ToArray(), [], []);

    /// <summary>A function of the binding by name.</summary>
    public static AbiFunction Function(string name) => Definition.Function(name);

    /// <summary>What differs between this binding and a feed's compiled ABI; empty means in sync.</summary>
    public static IReadOnlyList<string> DifferencesFrom(AbiContract compiled) => AbiBinding.DifferencesFrom(Definition, compiled);

    /// <summary>Decodes the return data of <c>latestRoundData()</c>.</summary>
    public static FeedRound DecodeLatestRound(ReadOnlySpan<byte> returnData)
    {
        var f = Function("latestRoundData").DecodeOutput(returnData);
        return new FeedRound((ulong)(BigInteger)f[0], (BigInteger)f[1], (ulong)(BigInteger)f[2], (ulong)(BigInteger)f[3]);
    }
}

/// <summary>One round of a feed: the answer (in the feed's decimals) and when it was updated (unix seconds).</summary>
public sealed record FeedRound(ulong RoundId, BigInteger Answer, ulong StartedAt, ulong UpdatedAt);

/// <summary>Reads one deployed price feed.</summary>
public sealed class PriceFeedClient(JsonRpcClient rpc, Address feed)
{
    /// <summary>The feed's address.</summary>
    public Address Feed { get; } = feed;

    /// <summary><c>decimals()</c>.</summary>
    public async Task<byte> GetDecimalsAsync(CancellationToken cancellationToken = default) =>
        (byte)(BigInteger)PriceFeedAbi.Function("decimals").DecodeOutput(await CallAsync(PriceFeedAbi.Function("decimals").EncodeCall(), cancellationToken).ConfigureAwait(false))[0];

    /// <summary><c>latestRoundData()</c>.</summary>
    public async Task<FeedRound> GetLatestRoundAsync(CancellationToken cancellationToken = default) =>
        PriceFeedAbi.DecodeLatestRound(await CallAsync(PriceFeedAbi.Function("latestRoundData").EncodeCall(), cancellationToken).ConfigureAwait(false));

    private Task<byte[]> CallAsync(byte[] calldata, CancellationToken cancellationToken) =>
        rpc.CallAsync(new CallRequest(Feed, calldata), "latest", cancellationToken);
}

/// <summary>
/// The dev chain's <c>MockPriceFeed</c>: the feed interface plus what its updater (a key of its own, never an oracle
/// signer's) calls to push answers.
/// </summary>
public static class MockPriceFeedAbi
{
    /// <summary>The functions beyond <see cref="PriceFeedAbi"/>.</summary>
    public static IReadOnlyList<string> FunctionDeclarations { get; } =
    [
        "updateAnswer(int256 answer)",
        "updateRoundData(int256 answer, uint256 updatedAt)",
        "setUpdater(address updater_)",
        "updater() returns (address feedUpdater)",
        "owner() returns (address feedOwner)",
    ];

    /// <summary>The constructor's argument types.</summary>
    public static IReadOnlyList<AbiParameter> ConstructorInputs { get; } =
        AbiParameter.ParseList("uint8 decimals_, address updater_, int256 initialAnswer");

    /// <summary>The binding as an ABI, the feed interface included.</summary>
    public static AbiContract Definition { get; } = new(
        [.. PriceFeedAbi.Definition.Functions, .. FunctionDeclarations.Select(AbiFunction.Parse)], [], []);

    /// <summary>What differs between this binding and the mock's compiled ABI; empty means in sync.</summary>
    public static IReadOnlyList<string> DifferencesFrom(AbiContract compiled) => AbiBinding.DifferencesFrom(Definition, compiled);

    /// <summary>Calldata of <c>updateAnswer(answer)</c>.</summary>
    public static byte[] EncodeUpdateAnswer(BigInteger answer) => Definition.Function("updateAnswer").EncodeCall(answer);
}
