using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Abi;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Chain;

namespace Aml.Orleans.Silo.Services;

/// <summary>
/// The chain's failsafes as a trader needs to see them before quoting: the global halt and each market's mode, read
/// from the contract (the chain is the truth; the guardian sets them there). Unknown without a chain.
/// </summary>
internal sealed class MarketChainStatus(IServiceProvider services)
{
    private static readonly string[] Modes = ["ACTIVE", "REDUCE_ONLY", "FROZEN"];

    /// <summary>Whether the contract is halted and <paramref name="asset"/>'s mode; (false, "") without a chain.</summary>
    public async Task<(bool Halted, string Mode)> ReadAsync(string asset, CancellationToken cancellationToken)
    {
        if (services.GetService<ChainContext>() is not { } chain || !chain.Deployment.Markets.TryGetValue(asset, out var market))
        {
            return (false, "");
        }

        var halted = chain.Abi.Function(MarginManagerNames.Functions.Halted);
        var getMarket = chain.Abi.Function(MarginManagerNames.Functions.GetMarket);
        var haltedTask = chain.Rpc.CallAsync(new CallRequest(chain.Contract.Contract, halted.EncodeCall()), "latest", cancellationToken);
        var marketTask = chain.Rpc.CallAsync(new CallRequest(chain.Contract.Contract, getMarket.EncodeCall(Bytes32.Parse(market.MarketId))), "latest", cancellationToken);
        var mode = (int)AbiCodec.ToBigInteger(getMarket.DecodeOutput(await marketTask)[1], "mode");
        return ((bool)halted.DecodeOutput(await haltedTask)[0], mode < Modes.Length ? Modes[mode] : $"MODE_{mode}");
    }
}
