using System.Numerics;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Outcomes;
using Aml.Orleans.Grains.Storage;
using Npgsql;

namespace Aml.Orleans.Grains.Audit;

/// <summary>
/// Gathers a decision's <see cref="DecisionEvidence"/>: the outcome store's row, the model set by hash from the model
/// store, the oracle's audit row for the transaction, and from the chain that transaction, its receipt, and the signer
/// set, threshold and model registry as they were at its block. Reads only.
/// </summary>
public sealed class DecisionEvidenceReader(NpgsqlDataSource dataSource, ChainContext chain)
{
    private readonly OutcomeStoreTable _outcomes = new(dataSource);
    private readonly ModelStoreTable _models = new(dataSource);

    /// <summary>
    /// The digests <paramref name="digestOrPositionId"/> names: itself when it is a recorded decision's digest, else every
    /// recorded decision of the position with that id, oldest first (empty when it is neither).
    /// </summary>
    public async Task<IReadOnlyList<string>> ResolveAsync(string digestOrPositionId, CancellationToken cancellationToken = default)
    {
        var key = Bytes32.Parse(digestOrPositionId).ToString();
        if (await _outcomes.GetAsync(key, cancellationToken) is not null)
        {
            return [key];
        }

        return (await _outcomes.ForPositionAsync(key, cancellationToken)).Select(o => o.Digest).ToArray();
    }

    /// <summary>The evidence for the decision <paramref name="digest"/>.</summary>
    public async Task<DecisionEvidence> ReadAsync(string digest, CancellationToken cancellationToken = default)
    {
        var outcome = await _outcomes.GetAsync(digest, cancellationToken);
        var (models, problem) = outcome is null ? (null, null) : await ModelsAsync(outcome.Decision.ModelHash, cancellationToken);
        RiskDecision? chainDecision = null;
        try
        {
            chainDecision = outcome is null ? null : chain.ToChain(outcome.Decision);
        }
        catch (ArgumentException)
        {
            // a market the deployment does not list: the digest check says so
        }

        var txHash = await TransactionOfAsync(digest, cancellationToken);
        var receipt = txHash is null ? null : await chain.Rpc.GetTransactionReceiptAsync(Bytes32.Parse(txHash), cancellationToken);
        byte[]? calldata = null;
        IReadOnlyList<Address> signers = [];
        var threshold = 0;
        var registered = false;
        if (receipt?.BlockNumber is { } block)
        {
            var tx = await chain.Rpc.RequestAsync("eth_getTransactionByHash", [txHash], cancellationToken);
            calldata = Hex.Decode(tx.GetProperty("input").GetString()!);
            var at = "0x" + block.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
            signers = MarginManagerAbi.DecodeSigners(await CallAsync("signers", at, [], cancellationToken));
            threshold = (int)(BigInteger)MarginManagerAbi.Function("threshold").DecodeOutput(await CallAsync("threshold", at, [], cancellationToken))[0];
            if (outcome is not null)
            {
                // From the compiled ABI: the hand-written declarations have no isModelAllowed.
                var allowed = chain.Abi.Function(MarginManagerNames.Functions.IsModelAllowed);
                registered = (bool)allowed.DecodeOutput(await chain.Rpc.CallAsync(
                    new CallRequest(chain.Contract.Contract, allowed.EncodeCall(Bytes32.Parse(outcome.Decision.ModelHash))), at, cancellationToken))[0];
            }
        }

        return new DecisionEvidence(digest, outcome, models, problem, chainDecision, chain.Domain, txHash, calldata, receipt,
            chain.OnChainSigners, signers, threshold, registered);
    }

    private async Task<(Aml.Orleans.Risk.RiskModelSet? Models, string? Problem)> ModelsAsync(string modelHash, CancellationToken cancellationToken)
    {
        try
        {
            return (await _models.LoadAsync(modelHash, cancellationToken), null);
        }
        catch (InvalidDataException e)
        {
            return (null, e.Message);
        }
    }

    private async Task<byte[]> CallAsync(string function, string block, object[] arguments, CancellationToken cancellationToken) =>
        await chain.Rpc.CallAsync(new CallRequest(chain.Contract.Contract, MarginManagerAbi.Function(function).EncodeCall(arguments)), block, cancellationToken);

    private async Task<string?> TransactionOfAsync(string digest, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT tx_hash FROM aml_audit_decision WHERE decision_digest = $1");
        command.Parameters.AddWithValue(Hex.Decode(digest));
        return await command.ExecuteScalarAsync(cancellationToken) is byte[] hash ? Hex.Encode(hash) : null;
    }
}
