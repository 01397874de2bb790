using System.Diagnostics;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Interfaces;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;

namespace Aml.Orleans.Benchmarks.Load;

/// <summary>One way of landing the same decisions on anvil: one transaction each, or <c>applyDecisions</c> batches.</summary>
internal sealed record LandedRun(int BatchSize, int Decisions, int Transactions, double Seconds, ulong GasUsed)
{
    public double DecisionsPerSecond => Decisions / Seconds;

    public double GasPerDecision => GasUsed / (double)Decisions;
}

/// <summary>What the oracle path measured.</summary>
internal sealed record OraclePathResult(
    int Signers, int Threshold, int Signed, double SingleSignaturesPerSecond, double QuorumDecisionsPerSecond, IReadOnlyList<LandedRun> Landed);

/// <summary>
/// The oracle path: how fast the M-of-N quorum signs decisions against one ECDSA signature (its floor), and how fast
/// ADJUST decisions land on anvil one transaction each versus <c>applyDecisions</c> batches, with the gas the receipts
/// report. It runs last: every transaction is a block and moves anvil's clock a second ahead of the wall clock.
/// </summary>
internal sealed class OraclePathLoad(LoadStack stack)
{
    /// <summary>Batch sizes compared with one decision per transaction (1).</summary>
    public static readonly int[] BatchSizes = [1, 8, 32, 64];

    private const int Positions = 64;
    private const int SignedDecisions = 200;
    private const long PriceE8 = 100_00000000;
    private ulong _batchNonce = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public async Task<OraclePathResult> RunAsync(string asset)
    {
        var chain = stack.Chain;
        var modelHash = (await stack.Grains.GetGrain<IRiskGrain>(asset).GetModelAsync()).ModelHash;
        var (single, quorum) = await TimeSigningAsync(asset, modelHash);

        await stack.WaitForChainClockAsync();
        Progress.Say($"oracle path: opening {Positions} positions on {asset} through the oracle");
        var minMargin = chain.Deployment.Markets[asset].Config.MinMaintenanceMarginBps;
        var ids = await RealPositions.OpenAsync(stack, asset, Positions, 100_000_000, 200, minMargin, PriceE8);

        var landed = new List<LandedRun>();
        var round = 0;
        foreach (var batchSize in BatchSizes)
        {
            Progress.Say($"  landing {Positions} ADJUST decisions, {batchSize} per transaction");
            landed.Add(await LandAsync(asset, ids, batchSize, modelHash, round++ % 2 == 0 ? (ushort)2_000 : (ushort)1_000));
        }

        return new OraclePathResult(chain.OnChainSigners.Count, chain.Deployment.Threshold, SignedDecisions, single, quorum, landed);
    }

    /// <summary>Per second: single signatures over decision digests, and whole quorums (digest, every key signs, check, pack).</summary>
    private async Task<(double Single, double Quorum)> TimeSigningAsync(string asset, string modelHash)
    {
        Progress.Say($"oracle path: signing {SignedDecisions} decisions with one key, then with the {stack.Chain.Keys.Count}-key quorum");
        var chain = stack.Chain;
        var decisions = Enumerable.Range(0, SignedDecisions)
            .Select(i => chain.ToChain(Adjust(Hex.Encode(Keccak.Hash($"bench-sign:{i}")), asset, stack.Account(LoadStack.TraderAccounts[0]).Address.ToString(), 1, 1_000, 200, modelHash, 1_700_000_000)))
            .ToArray();
        var digests = decisions.Select(d => d.Digest(chain.Domain)).ToArray();

        var clock = Stopwatch.StartNew();
        foreach (var digest in digests)
        {
            _ = await chain.Keys[0].SignHashAsync(digest);
        }

        var single = SignedDecisions / clock.Elapsed.TotalSeconds;
        clock.Restart();
        foreach (var decision in decisions)
        {
            _ = await QuorumBuilder.SignAsync(chain.OnChainSigners, chain.Keys, chain.Deployment.Threshold, decision.Digest(chain.Domain));
        }

        return (single, SignedDecisions / clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Signs and relays one ADJUST per position (new risk score, same terms), <paramref name="batchSize"/> per transaction,
    /// one transaction at a time as the oracle's relayer does; every decision must be applied, none skipped.
    /// </summary>
    private async Task<LandedRun> LandAsync(string asset, IReadOnlyList<string> ids, int batchSize, string modelHash, ushort riskScore)
    {
        var chain = stack.Chain;
        var relayer = stack.Account(LoadStack.HarnessRelayerAccount);
        var margin = chain.Deployment.Markets[asset].Config.MinMaintenanceMarginBps;
        var views = new Dictionary<string, PositionView>();
        foreach (var id in ids)
        {
            views[id] = await chain.Contract.GetPositionAsync(Bytes32.Parse(id));
        }

        await stack.SetFeedPriceAsync(asset, PriceE8); // fresh for the round (the market's maxFeedAge) at the decisions' price
        var now = (await chain.Rpc.GetBlockAsync("latest")).Timestamp;
        var decisions = ids.Select(id => chain.ToChain(Adjust(id, asset, views[id].Trader.ToString(), views[id].Version, riskScore, margin, modelHash, now))).ToArray();
        var clock = Stopwatch.StartNew();
        ulong gas = 0;
        var applied = 0;
        var transactions = 0;
        foreach (var batch in decisions.Chunk(batchSize))
        {
            TransactionReceipt receipt;
            if (batchSize == 1)
            {
                var quorum = await QuorumBuilder.SignAsync(chain.OnChainSigners, chain.Keys, chain.Deployment.Threshold, batch[0].Digest(chain.Domain));
                receipt = await chain.Contract.ApplyDecisionAsync(chain.Sender, relayer, batch[0], quorum);
            }
            else
            {
                var list = new DecisionList(_batchNonce++, now + 300, batch);
                var quorum = await QuorumBuilder.SignAsync(chain.OnChainSigners, chain.Keys, chain.Deployment.Threshold, list.Digest(chain.Domain));
                receipt = await chain.Contract.ApplyDecisionsAsync(chain.Sender, relayer, list, quorum);
            }

            var logs = chain.Contract.DecodeLogs(receipt);
            var skipped = logs.Where(l => l.Name == "DecisionSkipped").ToArray();
            if (!receipt.Succeeded || skipped.Length > 0)
            {
                throw new InvalidOperationException(
                    $"a batch of {batch.Length} ADJUSTs {(receipt.Succeeded ? $"had {skipped.Length} skipped" : "reverted")} in {receipt.TransactionHash}");
            }

            applied += logs.Count(l => l.Name == "RiskUpdated");
            gas += receipt.GasUsed;
            transactions++;
        }

        var seconds = clock.Elapsed.TotalSeconds;
        return applied == decisions.Length
            ? new LandedRun(batchSize, decisions.Length, transactions, seconds, gas)
            : throw new InvalidOperationException($"{applied} RiskUpdated events for {decisions.Length} ADJUST decisions");
    }

    /// <summary>
    /// An ADJUST that keeps a 2x position's terms and sets its risk score, living as long as the market's decision TTL
    /// cap allows (300 s where there is none): a longer one is skipped (DecisionTtl).
    /// </summary>
    private Decision Adjust(
        string id, string asset, string trader, ulong version, ushort riskScore, uint marginBps, string modelHash, ulong priceTimestamp) =>
        new(DecisionKind.Adjust, id, asset, trader, true, 100_000_000, 200_000_000, 200,
            marginBps, 0, riskScore, PriceE8, priceTimestamp, version, priceTimestamp + Lifetime(asset), modelHash, Hex.Encode(Keccak.Hash($"{id}:{version}")));

    private ulong Lifetime(string asset) =>
        stack.Chain.Deployment.Markets[asset].Limits is { MaxDecisionTtl: > 0 } limits ? limits.MaxDecisionTtl : 300;
}
