using System.Numerics;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Outcomes;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Storage;
using Npgsql;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;

namespace Aml.Orleans.Grains.Audit;

/// <summary>
/// Gathers a decision's <see cref="DecisionEvidence"/>: the outcome store's row, the model set by hash from the model
/// store, the oracle's audit row for the transaction, and from the chain that transaction, its receipt, and the signer
/// set, threshold and model registry as they were at its block. A LIQUIDATE or CLOSE has no outcome row of its own: it
/// is read from the transaction that carried it, with the recorded OPEN or ADJUST whose terms it enforces. Reads only.
/// </summary>
public sealed class DecisionEvidenceReader(NpgsqlDataSource dataSource, ChainContext chain)
{
    private readonly OutcomeStoreTable _outcomes = new(dataSource);
    private readonly ModelStoreTable _models = new(dataSource);

    /// <summary>
    /// The digests <paramref name="digestOrPositionId"/> names: itself when it is a recorded decision's digest (in the
    /// outcome store, or sent by the oracle), else every such decision of the position with that id, oldest first (empty
    /// when it is neither).
    /// </summary>
    public async Task<IReadOnlyList<string>> ResolveAsync(string digestOrPositionId, CancellationToken cancellationToken = default)
    {
        var key = Bytes32.Parse(digestOrPositionId).ToString();
        if (await _outcomes.GetAsync(key, cancellationToken) is not null || await AuditOfAsync(key, cancellationToken) is { TransactionHash: not null })
        {
            return [key];
        }

        var recorded = (await _outcomes.ForPositionAsync(key, cancellationToken)).Select(o => o.Digest);
        return recorded.Union(await SentOfPositionAsync(key, cancellationToken), StringComparer.OrdinalIgnoreCase).ToArray();
    }

    /// <summary>The evidence for the decision <paramref name="digest"/>.</summary>
    public async Task<DecisionEvidence> ReadAsync(string digest, CancellationToken cancellationToken = default)
    {
        var audit = await AuditOfAsync(digest, cancellationToken);
        var txHash = audit?.TransactionHash;
        var receipt = txHash is null ? null : await chain.Rpc.GetTransactionReceiptAsync(Bytes32.Parse(txHash), cancellationToken);
        byte[]? calldata = null;
        if (receipt?.BlockNumber is not null)
        {
            var tx = await chain.Rpc.RequestAsync("eth_getTransactionByHash", [txHash], cancellationToken);
            calldata = Hex.Decode(tx.GetProperty("input").GetString()!);
        }

        var outcome = await _outcomes.GetAsync(digest, cancellationToken);
        EnforcedTerms? terms = null;
        if (outcome is null && audit is not null && calldata is not null)
        {
            (outcome, terms) = await EnforcingAsync(digest, audit.PositionId, calldata, cancellationToken);
        }

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

        IReadOnlyList<Address> signers = [];
        var threshold = 0;
        var registered = false;
        if (receipt?.BlockNumber is { } block)
        {
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
            chain.OnChainSigners, signers, threshold, registered, terms);
    }

    // A LIQUIDATE or CLOSE of the audited position, as the transaction carried it, with the latest recorded decision
    // before it that names the same model and features: the one whose cap, margin and score it enforces.
    private async Task<(StoredOutcome? Outcome, EnforcedTerms? Terms)> EnforcingAsync(
        string digest, string positionId, byte[] calldata, CancellationToken cancellationToken)
    {
        if (DecisionCall.Decode(calldata)?.WithDigest(chain.Domain, digest) is not { } carried || chain.FromChain(carried) is not { } decision ||
            decision.Kind is not (DecisionKind.Liquidate or DecisionKind.Close) ||
            !string.Equals(decision.PositionId, positionId, StringComparison.OrdinalIgnoreCase))
        {
            return (null, null);
        }

        var decidedAt = DateTimeOffset.FromUnixTimeSeconds((long)decision.PriceTimestamp);
        var before = (await _outcomes.ForPositionAsync(positionId, cancellationToken)).Where(o => o.DecidedAt <= decidedAt).ToList();
        var setBy = before.LastOrDefault(o => string.Equals(o.Decision.FeaturesHash, decision.FeaturesHash, StringComparison.OrdinalIgnoreCase) &&
                                              string.Equals(o.Decision.ModelHash, decision.ModelHash, StringComparison.OrdinalIgnoreCase));
        var outcome = new StoredOutcome(digest, positionId, decision.Asset, decision.Kind, decision, setBy?.Inputs, decidedAt, 0,
            setBy?.FinalStatus, setBy?.SettledAt, setBy?.RealizedPnl, setBy?.BadDebt, setBy?.FillPriceE8, null, null, null, null);
        return (outcome, setBy is null ? null : new EnforcedTerms(setBy, [.. before.Select(o => o.Decision.MaintenanceMarginBps)]));
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

    private sealed record AuditRow(string PositionId, string? TransactionHash);

    private async Task<AuditRow?> AuditOfAsync(string digest, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT position_id, tx_hash FROM aml_audit_decision WHERE decision_digest = $1");
        command.Parameters.AddWithValue(Hex.Decode(digest));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new AuditRow(reader.GetString(0), reader.IsDBNull(1) ? null : Hex.Encode(reader.GetFieldValue<byte[]>(1)))
            : null;
    }

    // The position's decisions the oracle sent in a transaction, oldest first.
    private async Task<IReadOnlyList<string>> SentOfPositionAsync(string positionId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT decision_digest FROM aml_audit_decision WHERE position_id = $1 AND tx_hash IS NOT NULL ORDER BY created_at");
        command.Parameters.AddWithValue(positionId);
        var digests = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            digests.Add(Hex.Encode(reader.GetFieldValue<byte[]>(0)));
        }

        return digests;
    }
}
