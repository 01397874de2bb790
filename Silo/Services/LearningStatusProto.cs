using Aml.Orleans.Protos;

namespace Aml.Orleans.Silo.Services;

/// <summary>The admin API's view of an asset's drift watch and trainer.</summary>
internal static class LearningStatusProto
{
    /// <summary>The response for <paramref name="drift"/> and <paramref name="trainer"/>.</summary>
    public static LearningStatusResponse From(Grains.Interfaces.DriftStatus drift, Grains.Interfaces.TrainerStatus trainer) => new()
    {
        Asset = drift.Asset, ModelHash = drift.ModelHash, Target = drift.Target, Margin = drift.Margin, Recovery = drift.Recovery,
        Window = (uint)drift.Window, Long = Side(drift.Long), Short = Side(drift.Short),
        TrainerStage = trainer.Stage, ChallengerHash = trainer.ChallengerHash ?? "", TrainerVerdict = trainer.Verdict ?? "",
        GovernanceOpId = trainer.GovernanceOpId ?? "", GovernanceEta = trainer.GovernanceEta,
    };

    private static Protos.SideDrift Side(Grains.Interfaces.SideDrift side)
    {
        var proto = new Protos.SideDrift { Matured = (uint)side.Matured, Fallback = side.Fallback };
        if (side.Coverage is { } coverage)
        {
            proto.Coverage = coverage;
        }

        return proto;
    }
}
