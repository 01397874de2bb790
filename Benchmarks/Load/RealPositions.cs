using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;
using DecisionKind = Aml.Orleans.Grains.Interfaces.DecisionKind;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;

namespace Aml.Orleans.Benchmarks.Load;

/// <summary>
/// Positions opened on-chain the way the gateway's open does it: an OPEN decision signed by the trader's dev key and
/// relayed by the silo's oracle; the position grain then follows the chain's PositionOpened event.
/// </summary>
internal static class RealPositions
{
    /// <summary>
    /// Opens <paramref name="count"/> long positions of <paramref name="collateral"/> at <paramref name="leverageX100"/>
    /// and <paramref name="maintenanceBps"/> at <paramref name="priceE8"/>, and waits until every grain is Open.
    /// </summary>
    public static async Task<IReadOnlyList<string>> OpenAsync(
        LoadStack stack, string asset, int count, long collateral, uint leverageX100, uint maintenanceBps, long priceE8)
    {
        var oracle = stack.Grains.GetGrain<IOracleGrain>(stack.Chain.OracleKey);
        var modelHash = (await stack.Grains.GetGrain<IRiskGrain>(asset).GetModelAsync()).ModelHash;
        await stack.SetFeedPriceAsync(asset, priceE8); // the oracle and the contract check the OPENs against the feed
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var id = Hex.Encode(Keccak.Hash($"bench-real:{asset}:{Guid.NewGuid()}"));
            var trader = stack.Account(LoadStack.TraderAccounts[i % LoadStack.TraderAccounts.Length]);
            var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var decision = new Decision(
                DecisionKind.Open, id, asset, trader.Address.ToString(), true, collateral, collateral * leverageX100 / 100, leverageX100,
                maintenanceBps, 0, 1_000, priceE8, now, 0, now + 60, modelHash, Hex.Encode(Keccak.Hash(id)));
            var digest = await oracle.GetDigestAsync(decision);
            var audit = await oracle.SubmitAsync(decision, Hex.Encode(trader.SignHash(Hex.Decode(digest)).ToRsv()));
            if (audit.Status == SubmissionStatus.Failed)
            {
                throw new InvalidOperationException($"the oracle refused the OPEN of {id}: {audit.Outcome}");
            }

            ids.Add(id);
        }

        foreach (var id in ids)
        {
            await WaitForAsync(stack, id, s => s.Status == PositionStatus.Open, "open", TimeSpan.FromSeconds(120));
        }

        return ids;
    }

    /// <summary>Polls a position's grain until <paramref name="condition"/> holds; throws with its last state on timeout.</summary>
    public static async Task<PositionSnapshot> WaitForAsync(
        LoadStack stack, string positionId, Func<PositionSnapshot, bool> condition, string what, TimeSpan timeout, int pollMilliseconds = 50)
    {
        var grain = stack.Grains.GetGrain<IPositionGrain>(positionId);
        var deadline = DateTime.UtcNow + timeout;
        PositionSnapshot? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await grain.GetSnapshotAsync();
            if (last is not null && condition(last))
            {
                return last;
            }

            await Task.Delay(pollMilliseconds);
        }

        throw new TimeoutException($"position {positionId} did not become {what} within {timeout.TotalSeconds} s; last: {last}");
    }
}
