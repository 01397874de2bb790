namespace Aml.Orleans.Grains.Risk;

/// <summary>Where the risk grains find model sets and how much they explain.</summary>
public sealed class RiskOptions
{
    /// <summary>Model sets live in <c>{ModelsRoot}/{asset}</c> until a trainer promotes another directory.</summary>
    public string ModelsRoot { get; set; } = "models";

    /// <summary>How many feature contributions an assessment carries.</summary>
    public int ExplainTop { get; set; } = 5;
}

/// <summary>Whether a model hash may be used for decisions: registered in the contract's model registry.</summary>
public interface IModelRegistry
{
    /// <summary>True when the contract accepts decisions made with <paramref name="modelHash"/>.</summary>
    Task<bool> IsAllowedAsync(string modelHash, CancellationToken cancellationToken = default);
}
