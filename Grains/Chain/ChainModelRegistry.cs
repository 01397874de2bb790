using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Risk;

namespace Aml.Orleans.Grains.Chain;

/// <summary>The contract's model registry (<c>isModelAllowed</c>): decisions with an unregistered hash would be refused.</summary>
public sealed class ChainModelRegistry(ChainContext chain) : IModelRegistry
{
    /// <inheritdoc />
    public async Task<bool> IsAllowedAsync(string modelHash, CancellationToken cancellationToken = default)
    {
        // The compiled ABI: MarginManagerAbi's hand-written declarations have no isModelAllowed (a lookup there throws).
        var function = chain.Abi.Function(MarginManagerNames.Functions.IsModelAllowed);
        var result = await chain.Rpc.CallAsync(
            new CallRequest(chain.Contract.Contract, function.EncodeCall(Bytes32.Parse(modelHash))), "latest", cancellationToken).ConfigureAwait(false);
        return (bool)function.DecodeOutput(result)[0];
    }
}
