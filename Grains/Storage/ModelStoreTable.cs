using Aml.Orleans.Ethereum;
using Aml.Orleans.Risk;
using Npgsql;

namespace Aml.Orleans.Grains.Storage;

/// <summary>What the store knows of one published set without loading its files.</summary>
public sealed record StoredModelSet(string ModelHash, string Asset, bool Pooled, DateTimeOffset TrainedFrom, DateTimeOffset TrainedTo, DateTimeOffset PublishedAt);

/// <summary>
/// The model store (migration 0008): model sets content-addressed by <see cref="RiskModelSet.ModelHash"/>, every file
/// of the set (the bytes the hash is over, and <c>model.json</c>) in <c>aml_model_file</c>. Publishing is idempotent
/// (the same hash twice is one row, and the first publication's files stay); loading checks the files against the hash,
/// so a row altered in the database is refused rather than served.
/// </summary>
public sealed class ModelStoreTable(NpgsqlDataSource dataSource)
{
    /// <summary>Writes <paramref name="models"/> unless its hash is stored already; true when this call stored it.</summary>
    public async Task<bool> PublishAsync(RiskModelSet models, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(models);
        var hash = Hex.Decode(models.ModelHash);
        var files = models.ToFiles();
        var manifest = models.Manifest;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var insert = new NpgsqlCommand(
                         "INSERT INTO aml_model_set (model_hash, asset, pooled, trained_from, trained_to, manifest) " +
                         "VALUES (@hash, @asset, @pooled, @from, @to, @manifest) ON CONFLICT (model_hash) DO NOTHING", connection, transaction))
        {
            insert.Parameters.AddWithValue("hash", hash);
            insert.Parameters.AddWithValue("asset", manifest.Asset);
            insert.Parameters.AddWithValue("pooled", manifest.Pooled);
            insert.Parameters.AddWithValue("from", manifest.TrainedFrom.UtcDateTime);
            insert.Parameters.AddWithValue("to", manifest.TrainedTo.UtcDateTime);
            insert.Parameters.AddWithValue("manifest", System.Text.Encoding.UTF8.GetString(files[RiskModelSet.ManifestFile]));
            if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return false; // stored before (by another silo, or an earlier publish): content-addressed, so the same bytes
            }
        }

        var batch = new NpgsqlBatch(connection, transaction);
        await using (batch)
        {
            foreach (var (name, content) in files)
            {
                var command = new NpgsqlBatchCommand("INSERT INTO aml_model_file (model_hash, name, content) VALUES ($1, $2, $3)");
                command.Parameters.AddWithValue(hash);
                command.Parameters.AddWithValue(name);
                command.Parameters.AddWithValue(content);
                batch.BatchCommands.Add(command);
            }

            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>The set stored under <paramref name="modelHash"/>, checked against its hash; null when none is stored.</summary>
    /// <exception cref="InvalidDataException">The stored files do not hash to <paramref name="modelHash"/>.</exception>
    public async Task<RiskModelSet?> LoadAsync(string modelHash, CancellationToken cancellationToken = default)
    {
        var hash = ParseHash(modelHash);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        await using (var command = dataSource.CreateCommand("SELECT name, content FROM aml_model_file WHERE model_hash = $1"))
        {
            command.Parameters.AddWithValue(hash);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                files[reader.GetString(0)] = reader.GetFieldValue<byte[]>(1);
            }
        }

        if (files.Count == 0)
        {
            return null;
        }

        var source = $"model store {Hex.Encode(hash)}";
        var models = RiskModelSet.FromFiles(files, source);
        return models.ModelHash == Hex.Encode(hash)
            ? models
            : throw new InvalidDataException($"{source}: the row holds the set {models.ModelHash}, not the one it is stored under");
    }

    /// <summary>Every stored set that may price <paramref name="asset"/> (its own and pooled ones), newest first.</summary>
    public async Task<IReadOnlyList<StoredModelSet>> ListAsync(string asset, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(asset);
        var sets = new List<StoredModelSet>();
        await using var command = dataSource.CreateCommand(
            "SELECT model_hash, asset, pooled, trained_from, trained_to, published_at FROM aml_model_set " +
            "WHERE asset = $1 OR pooled ORDER BY published_at DESC, model_hash");
        command.Parameters.AddWithValue(asset);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            sets.Add(new StoredModelSet(Hex.Encode(reader.GetFieldValue<byte[]>(0)), reader.GetString(1), reader.GetBoolean(2),
                Utc(reader.GetDateTime(3)), Utc(reader.GetDateTime(4)), Utc(reader.GetDateTime(5))));
        }

        return sets;
    }

    /// <summary>A 0x-prefixed 32-byte hash, or an error naming the field.</summary>
    public static byte[] ParseHash(string modelHash)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelHash);
        byte[] bytes;
        try
        {
            bytes = Hex.Decode(modelHash);
        }
        catch (FormatException)
        {
            throw new ArgumentException($"modelHash: {modelHash} is not hex", nameof(modelHash));
        }

        return bytes.Length == 32 ? bytes : throw new ArgumentException($"modelHash: {modelHash} is {bytes.Length} bytes, not 32", nameof(modelHash));
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
