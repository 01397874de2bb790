using System.Reflection;
using Aml.Orleans.Ethereum.Abi;

namespace Aml.Orleans.Ethereum.Tests;

/// <summary>
/// Every name the engine uses for a MarginManager function, event or error is a member of forge's compiled ABI
/// (<c>out/MarginManager.sol/MarginManager.json</c>, built by <c>forge test</c> before the .NET suites; the committed
/// <c>abi/</c> copy, which <c>abi/sync.mjs --check</c> keeps equal to it, when no build is there).
/// </summary>
public sealed class MarginManagerNamesTests
{
    internal static AbiContract Compiled(string contract)
    {
        var root = Path.Combine(AnvilFixture.RepositoryRoot(), "Contracts.Solidity");
        var built = Path.Combine(root, "out", $"{contract}.sol", $"{contract}.json");
        var path = File.Exists(built) ? built : Path.Combine(root, "abi", $"{contract}.json");
        return AbiContract.FromJson(File.ReadAllText(path));
    }

    private static IEnumerable<string> Names(Type holder) =>
        holder.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!);

    /// <summary>The names the compiled members lack.</summary>
    private static string[] Missing(IEnumerable<string> names, IEnumerable<string> compiled)
    {
        var present = compiled.ToHashSet(StringComparer.Ordinal);
        return names.Where(n => !present.Contains(n)).ToArray();
    }

    [Fact]
    public void Functions_EveryName_InTheCompiledAbi()
    {
        var compiled = Compiled("MarginManager");
        Assert.Empty(Missing(Names(typeof(MarginManagerNames.Functions)), compiled.Functions.Select(f => f.Name)));
    }

    [Fact]
    public void Events_EveryName_InTheCompiledAbi()
    {
        var compiled = Compiled("MarginManager");
        Assert.Empty(Missing(Names(typeof(MarginManagerNames.Events)), compiled.Events.Select(e => e.Name)));
    }

    [Fact]
    public void Errors_EveryName_InTheCompiledAbis()
    {
        var contract = Compiled("MarginManager");
        var token = Compiled("MockUSDC");
        Assert.Empty(Missing(Names(typeof(MarginManagerNames.Errors)), contract.Errors.Select(e => e.Name)));
        Assert.Empty(Missing(Names(typeof(MarginManagerNames.CollateralTokenErrors)), token.Errors.Select(e => e.Name)));
    }

    [Fact]
    public void Names_ARenamedMember_Reported()
    {
        // The check itself can fail: a name the ABI lacks is reported.
        var compiled = Compiled("MarginManager");
        Assert.Equal(["closePositionV9"], Missing([MarginManagerNames.Functions.ClosePosition, "closePositionV9"], compiled.Functions.Select(f => f.Name)));
    }
}
