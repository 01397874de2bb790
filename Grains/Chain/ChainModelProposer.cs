using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Risk;

namespace Aml.Orleans.Grains.Chain;

/// <summary>
/// Queues and, after the governance delay, runs <c>setModel(hash, true)</c> with the admin key the silo was given (a dev
/// stack's; production keeps the admin in its multisig and registers no proposer). Whether a queued op may run is the
/// chain's judgement: its eta against the time the next block will carry.
/// </summary>
public sealed class ChainModelProposer(ChainContext chain, string adminKey, TimeProvider clock) : IModelProposer
{
    private readonly LocalKeySigner _admin = LocalKeySigner.FromHex(adminKey);

    /// <inheritdoc />
    public async Task<ModelProposal> ProposeAsync(string modelHash, CancellationToken cancellationToken = default)
    {
        var receipt = await chain.Contract.SendAsync(chain.Sender, _admin, MarginManagerGovernance.EncodeSetModel(Bytes32.Parse(modelHash), true), cancellationToken);
        return MarginManagerGovernance.QueuedIn(receipt, chain.Contract.Contract) is { } queued
            ? new ModelProposal(queued.OpId.ToString(), queued.Eta, Applied: false)
            : new ModelProposal("", 0, Applied: true); // the delay is 0: registered at once
    }

    /// <inheritdoc />
    public async Task<ProposalState> ExecuteIfReadyAsync(string opId, CancellationToken cancellationToken = default)
    {
        var id = Bytes32.Parse(opId);
        var (eta, _) = await chain.Contract.GetGovernanceOpAsync(id, cancellationToken);
        if (eta == 0)
        {
            return ProposalState.Gone;
        }

        // A chain that mines on demand (anvil) can have an old head while its next block takes the current time.
        var next = Math.Max((await chain.Rpc.GetBlockAsync("latest", cancellationToken)).Timestamp, (ulong)clock.GetUtcNow().ToUnixTimeSeconds());
        if (eta > next)
        {
            return ProposalState.Waiting;
        }

        await chain.Contract.SendAsync(chain.Sender, _admin, MarginManagerGovernance.EncodeExecute(id), cancellationToken);
        return ProposalState.Executed;
    }
}
