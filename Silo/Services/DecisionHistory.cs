using System.Globalization;
using Aml.Orleans.Ethereum;
using Aml.Orleans.Protos;
using Npgsql;

namespace Aml.Orleans.Silo.Services;

/// <summary>
/// A position's decisions as the oracle audited them (<c>aml_audit_decision</c>, written by the oracle grain): read-only,
/// for the trader's decision history. The signer bitmap's bit i is the deployment's signer i.
/// </summary>
internal sealed class DecisionHistory(NpgsqlDataSource dataSource)
{
    private const string Select = """
        SELECT kind, decision_digest, signer_bitmap, model_hash, features_hash, tx_hash, status, outcome, created_at
        FROM aml_audit_decision WHERE position_id = @position ORDER BY created_at, decision_digest
        """;

    /// <summary>The decisions on <paramref name="positionId"/>, oldest first, signers named from <paramref name="signers"/>.</summary>
    public async Task<ListDecisionsResponse> ListAsync(string positionId, IReadOnlyList<string> signers, CancellationToken cancellationToken)
    {
        var response = new ListDecisionsResponse();
        await using var command = dataSource.CreateCommand(Select);
        command.Parameters.AddWithValue("position", positionId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = new DecisionRecord
            {
                Kind = reader.GetString(0),
                Digest = Hex.Encode((byte[])reader[1]),
                ModelHash = Hex.Encode((byte[])reader[3]),
                FeaturesHash = Hex.Encode((byte[])reader[4]),
                TransactionHash = reader.IsDBNull(5) ? "" : Hex.Encode((byte[])reader[5]),
                Status = reader.GetString(6),
                Outcome = reader.IsDBNull(7) ? "" : reader.GetString(7),
                CreatedAt = reader.GetFieldValue<DateTimeOffset>(8).ToString("O", CultureInfo.InvariantCulture),
            };
            record.Signers.AddRange(Signers(reader.GetInt64(2), signers));
            response.Decisions.Add(record);
        }

        return response;
    }

    private static IEnumerable<string> Signers(long bitmap, IReadOnlyList<string> signers)
    {
        for (var i = 0; i < 63; i++)
        {
            if ((bitmap & (1L << i)) != 0)
            {
                yield return i < signers.Count ? signers[i] : $"signer #{i} (not in the deployment)";
            }
        }
    }
}
