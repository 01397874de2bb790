using System.Globalization;

namespace Aml.Orleans.Silo.Services;

/// <summary>A model card in the admin API's form.</summary>
internal static class ModelCardProto
{
    public static Protos.ModelCard From(Grains.Storage.ModelCard card)
    {
        var m = card.Manifest;
        var proto = new Protos.ModelCard
        {
            Asset = card.Asset, ModelHash = card.ModelHash, PromotedAt = Iso(card.PromotedAt), Pooled = m.Pooled,
            TrainedFrom = Iso(m.TrainedFrom), CalibrationFrom = Iso(m.CalibrationFrom), ValidationFrom = Iso(m.ValidationFrom), TrainedTo = Iso(m.TrainedTo),
            Samples = m.Samples, TargetCoverage = m.LeverageCoverage, LiveLong = Side(card.Long), LiveShort = Side(card.Short),
        };
        proto.TrainedOn.AddRange(m.Assets);
        proto.ValidationMetrics.Add(m.Metrics.ToDictionary(p => p.Key, p => p.Value));
        proto.Statements.Add(m.ModelCard.ToDictionary(p => p.Key, p => p.Value));
        return proto;
    }

    private static Protos.SideCoverage Side(Grains.Storage.SideCoverage side) =>
        new() { Matured = side.Matured, Covered = side.Covered, Coverage = side.Coverage ?? 0 };

    private static string Iso(DateTimeOffset at) => at.ToString("O", CultureInfo.InvariantCulture);
}
