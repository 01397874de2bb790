namespace Aml.Orleans.Grains.Chain;

/// <summary>The contract's JSON ABI, embedded from <c>Contracts.Solidity/abi/MarginManager.json</c> at build time.</summary>
internal static class MarginManagerAbiJson
{
    public static string Load() => Resource("Aml.Orleans.Grains.Chain.MarginManager.abi.json");

    /// <summary>The collateral token's ABI (<c>abi/MockUSDC.json</c>): its ERC-20 errors bubble up through the contract.</summary>
    public static string LoadCollateralToken() => Resource("Aml.Orleans.Grains.Chain.MockUSDC.abi.json");

    private static string Resource(string name)
    {
        using var stream = typeof(MarginManagerAbiJson).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{name} is not embedded in Aml.Orleans.Grains");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
