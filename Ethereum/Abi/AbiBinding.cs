namespace Aml.Orleans.Ethereum.Abi;

/// <summary>Compares a binding written by hand with a contract's compiled ABI (forge's JSON).</summary>
public static class AbiBinding
{
    /// <summary>
    /// What differs: functions or events of <paramref name="binding"/> missing from <paramref name="compiled"/> or
    /// declared with other types, output types that differ, and indexed flags that differ. Empty means in sync.
    /// </summary>
    public static IReadOnlyList<string> DifferencesFrom(AbiContract binding, AbiContract compiled)
    {
        ArgumentNullException.ThrowIfNull(binding);
        ArgumentNullException.ThrowIfNull(compiled);
        var differences = new List<string>();
        foreach (var function in binding.Functions)
        {
            var match = compiled.Functions.FirstOrDefault(f => f.Signature == function.Signature);
            if (match is null)
            {
                var sameName = compiled.Functions.Where(f => f.Name == function.Name).Select(f => f.Signature);
                differences.Add($"function {function.Signature} not in the ABI (ABI has: {string.Join("; ", sameName)})");
            }
            else if (!match.Outputs.Select(p => p.Type).SequenceEqual(function.Outputs.Select(p => p.Type)))
            {
                differences.Add($"function {function.Signature} returns ({string.Join(",", match.Outputs.Select(p => p.Type.Name))}) in the ABI");
            }
        }

        foreach (var abiEvent in binding.Events)
        {
            var match = compiled.Events.FirstOrDefault(e => e.Signature == abiEvent.Signature);
            if (match is null)
            {
                differences.Add($"event {abiEvent.Signature} not in the ABI");
            }
            else if (!match.Inputs.Select(p => p.Indexed).SequenceEqual(abiEvent.Inputs.Select(p => p.Indexed)))
            {
                differences.Add($"event {abiEvent.Signature} has other indexed parameters in the ABI");
            }
        }

        return differences;
    }
}
