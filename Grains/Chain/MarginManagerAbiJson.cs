namespace Aml.Orleans.Grains.Chain;

/// <summary>The contract's JSON ABI, embedded from <c>Contracts.Solidity/abi/MarginManager.json</c> at build time.</summary>
internal static class MarginManagerAbiJson
{
    public static string Load()
    {
        using var stream = typeof(MarginManagerAbiJson).Assembly.GetManifestResourceStream("Aml.Orleans.Grains.Chain.MarginManager.abi.json")
            ?? throw new InvalidOperationException("the MarginManager ABI is not embedded in Aml.Orleans.Grains");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
