using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Interfaces;

namespace Aml.Orleans.Grains.Outcomes;

/// <summary>Whether inputs that came back with an open (or from an assessment) are those of a given decision.</summary>
public static class DecisionInputsCheck
{
    /// <summary>
    /// True when <paramref name="inputs"/> name <paramref name="decision"/>'s model and features hash and their feature
    /// bytes hash to it: what the outcome store keeps beside the decision must be what the decision was computed from.
    /// </summary>
    public static bool Matches(DecisionInputs inputs, Decision decision)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(decision);
        return string.Equals(inputs.FeaturesHash, decision.FeaturesHash, StringComparison.OrdinalIgnoreCase) &&
               string.Equals(inputs.ModelHash, decision.ModelHash, StringComparison.OrdinalIgnoreCase) &&
               inputs.FeatureBytes is not null &&
               string.Equals(Hex.Encode(Keccak.Hash(inputs.FeatureBytes)), decision.FeaturesHash, StringComparison.OrdinalIgnoreCase);
    }
}
