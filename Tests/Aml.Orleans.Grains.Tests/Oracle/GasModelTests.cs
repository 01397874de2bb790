using System.Text.Json;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Oracle;
using Aml.Orleans.Grains.Tests.Chain;

namespace Aml.Orleans.Grains.Tests.Oracle;

/// <summary>
/// The oracle's gas limits per decision kind against the contract's own measurements: forge's gas snapshot, with the
/// MegaETH figure (execution plus storage gas) of each path. A limit below it would revert a batch on MegaETH.
/// </summary>
public sealed class GasModelTests
{
    private static readonly Dictionary<string, long> Snapshot = LoadSnapshot();

    [Theory]
    [InlineData(DecisionKind.Adjust, "adjust")]
    [InlineData(DecisionKind.Adjust, "adjustTightening")]
    [InlineData(DecisionKind.Liquidate, "liquidate")]
    [InlineData(DecisionKind.Liquidate, "liquidatePartial")]
    public void Batch_OneDecision_CoversTheMeasuredMegaEthGasOfItsPath(DecisionKind kind, string path)
    {
        var measured = Snapshot[$"{path}.megaeth"];

        var limit = GasModel.Batch([kind]);

        Assert.True((long)limit >= measured, $"{kind}: limit {limit} below the measured {measured} of '{path}'");
        Assert.True((long)limit <= 2 * measured, $"{kind}: limit {limit} more than twice the measured {measured} of '{path}'");
    }

    [Fact]
    public void Batch_FiftyLiquidations_CoversTheMeasuredBatchWithinTwiceIt()
    {
        var measured = Snapshot["batch50.megaeth"];

        var limit = GasModel.Batch(Enumerable.Repeat(DecisionKind.Liquidate, 50));

        Assert.InRange((long)limit, measured, 2 * measured);
    }

    [Theory]
    [InlineData(DecisionKind.Open)]
    [InlineData(DecisionKind.Close)]
    public void Batch_KindNeverBatched_RefusedNamingTheKind(DecisionKind kind)
    {
        var error = Assert.Throws<ArgumentException>(() => GasModel.Batch([DecisionKind.Adjust, kind]));

        Assert.Contains(kind.ToString(), error.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, long> LoadSnapshot()
    {
        var path = Path.Combine(AnvilChain.RepositoryRoot(), "Contracts.Solidity", "snapshots", "MarginManagerGas.json");
        return JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path))!
            .ToDictionary(p => p.Key, p => long.Parse(p.Value, System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal);
    }
}
