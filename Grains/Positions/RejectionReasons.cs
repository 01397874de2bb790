using System.Numerics;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Abi;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Domain;

namespace Aml.Orleans.Grains.Positions;

/// <summary>
/// Why the chain refused a decision, in the trader's words: the revert data is decoded against the compiled ABIs of
/// the MarginManager and the collateral token (the custom errors a transaction can bubble up), and the typed error
/// picks the sentence. Errors are looked up in the ABIs once, so a renamed error fails at start, not in a message.
/// </summary>
public static class RejectionReasons
{
    private static readonly AbiError[] Known = [.. Load(MarginManagerAbiJson.Load()).Errors, .. Load(MarginManagerAbiJson.LoadCollateralToken()).Errors];

    private static readonly Dictionary<AbiError, Func<AbiDecoded, string>> Sentences = new()
    {
        [Error(MarginManagerNames.Errors.SystemHalted)] = _ => "trading is halted on-chain (the guardian's failsafe): no position opens until it resumes",
        [Error(MarginManagerNames.Errors.MarketModeForbids)] = e => $"the market is {Mode(e["mode"])} on-chain: it takes no new positions now",
        [Error(MarginManagerNames.CollateralTokenErrors.InsufficientBalance)] = e => $"the wallet holds {Units.Usdc(Amount(e["balance"]))}, the position needs {Units.Usdc(Amount(e["needed"]))}",
        [Error(MarginManagerNames.CollateralTokenErrors.InsufficientAllowance)] = e =>
            $"the wallet lets the MarginManager take {Units.Usdc(Amount(e["allowance"]))}, the position needs {Units.Usdc(Amount(e["needed"]))}: approve more",
        [Error(MarginManagerNames.Errors.InsufficientLiquidity)] = e => $"the vault has {Units.Usdc(Amount(e["available"]))} free, the position needs {Units.Usdc(Amount(e["needed"]))}",
        [Error(MarginManagerNames.Errors.DecisionExpired)] = _ => "the quote expired before it reached the chain: ask for a new one",
        [Error(MarginManagerNames.Errors.PriceTooOld)] = _ => "the price it was quoted at is too old for the contract: ask for a new quote",
        [Error(MarginManagerNames.Errors.ModelNotAllowed)] = _ => "the risk model that priced it is not registered on-chain",
        [Error(MarginManagerNames.Errors.InvalidTraderSignature)] = _ => "the signature over the quote is not the trader's",
        [Error(MarginManagerNames.Errors.LeverageAboveCap)] = e => $"leverage {Leverage(e["leverageX100"])} is above the cap {Leverage(e["capX100"])}",
        [Error(MarginManagerNames.Errors.OpenWouldBeLiquidatable)] = e =>
            $"the collateral {Units.Usdc(Amount(e["collateral"]))} is below the maintenance requirement {Units.Usdc(Amount(e["requirement"]))}",
        [Error(MarginManagerNames.Errors.PositionExists)] = _ => "a position with this id exists already",
    };

    /// <summary>
    /// The sentence for <paramref name="revertData"/> (0x hex; empty when the refusal was not a revert), else
    /// <paramref name="outcome"/>, the oracle's own account.
    /// </summary>
    public static string Explain(string outcome, string? revertData)
    {
        if (string.IsNullOrEmpty(revertData) || revertData.Length < 10)
        {
            return outcome;
        }

        var data = Hex.Decode(revertData);
        var error = Known.FirstOrDefault(e => data.AsSpan(0, 4).SequenceEqual(e.Selector));
        if (error is null)
        {
            return $"{outcome} (revert data {revertData[..10]}… is no error of the contract or the token)";
        }

        var decoded = error.Decode(data);
        return Sentences.TryGetValue(error, out var sentence) ? sentence(decoded) : $"the contract refused it: {decoded}";
    }

    private static AbiError Error(string name) =>
        Known.SingleOrDefault(e => e.Name == name) ?? throw new InvalidOperationException($"the compiled ABIs declare no error {name}");

    private static AbiContract Load(string json) => AbiContract.FromJson(json);

    private static long Amount(object value) => (long)BigInteger.Min(AbiCodec.ToBigInteger(value, "amount"), long.MaxValue);

    private static string Leverage(object value) => $"{(decimal)Amount(value) / 100:0.##}x";

    private static string Mode(object value) => Amount(value) switch
    {
        0 => "ACTIVE",
        1 => "REDUCE_ONLY",
        2 => "FROZEN",
        var other => $"in mode {other}",
    };
}
