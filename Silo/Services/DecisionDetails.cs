using System.Globalization;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Audit;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Protos;
using Npgsql;

namespace Aml.Orleans.Silo.Services;

/// <summary>
/// One decision for <c>Positions.GetDecision</c>: the outcome store's row (features, predictions, what happened) and the
/// same verification as <c>aml verify</c> (<see cref="DecisionVerifier"/>), read-only.
/// </summary>
internal sealed class DecisionDetails(NpgsqlDataSource dataSource, ChainContext chain)
{
    /// <summary>The decision <paramref name="digest"/> of <paramref name="positionId"/>, or null when the position has no such decision.</summary>
    public async Task<DecisionDetail?> GetAsync(string positionId, string digest, CancellationToken cancellationToken)
    {
        var history = await new DecisionHistory(dataSource).ListAsync(positionId, chain.Deployment.Signers, cancellationToken);
        var record = history.Decisions.FirstOrDefault(d => string.Equals(d.Digest, digest, StringComparison.OrdinalIgnoreCase));
        var evidence = await new DecisionEvidenceReader(dataSource, chain).ReadAsync(digest, cancellationToken);
        if (evidence.Outcome is not { } outcome || !string.Equals(outcome.PositionId, positionId, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var detail = new DecisionDetail
        {
            Record = record ?? new DecisionRecord { Digest = digest, Kind = outcome.Kind.ToString().ToUpperInvariant() },
            Decision = PositionsService.ToProto(outcome.Decision),
            FeatureBytes = outcome.Inputs is { } inputs ? Hex.Encode(inputs.FeatureBytes) : "",
            LeverageQuantile = outcome.Inputs?.LeverageQuantile ?? 0,
            LeverageAlpha = outcome.Inputs?.LeverageAlpha ?? 0,
            DecidedAt = outcome.DecidedAt.ToString("O", CultureInfo.InvariantCulture),
            HorizonHours = (uint)outcome.HorizonHours,
            FinalStatus = outcome.FinalStatus ?? "",
            RealizedPnl = outcome.RealizedPnl ?? 0,
            BadDebt = outcome.BadDebt ?? 0,
            FillPriceE8 = outcome.FillPriceE8 ?? 0,
            MaturedAt = outcome.MaturedAt?.ToString("O", CultureInfo.InvariantCulture) ?? "",
            Mae = outcome.Mae ?? 0,
            Covered = outcome.Covered ?? false,
            Liquidated = outcome.Liquidated ?? false,
        };
        var verdicts = DecisionVerifier.Verify(evidence);
        detail.Verdicts.AddRange(verdicts.Select(v => new Protos.Verdict { Check = v.Check, Passed = v.Passed, Detail = v.Detail }));
        detail.Verified = verdicts.All(v => v.Passed);
        return detail;
    }
}
