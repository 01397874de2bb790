using System.Text;
using Aml.Orleans.Grains.Positions;
using Npgsql;
using NpgsqlTypes;
using Orleans.Storage;

namespace Aml.Orleans.Grains.Storage;

/// <summary>
/// Position grain state written in bulk, straight into <c>orleans_storage</c>, in the exact row the ADO.NET grain
/// storage provider reads: the same state name, key columns, hashes (the provider's public
/// <see cref="OrleansDefaultHasher"/> over the key as it hashes it) and payload (the silo's grain storage serializer).
/// A position grain woken later activates from such a row as from one it wrote itself, at version 1. One COPY BINARY
/// into a temporary table, then one insert that keeps every row already stored: a position the silo knows is never
/// overwritten by an older delivery.
/// </summary>
public sealed class PositionStateTable(NpgsqlDataSource dataSource, IGrainStorageSerializer serializer, string serviceId)
{
    /// <summary>The state's name in <c>[PersistentState("position", …)]</c>; the provider stores it as the grain type.</summary>
    public const string StateName = "position";

    private const string Columns =
        "service_id, grain_type, grain_type_hash, grain_id_hash, grain_id_n0, grain_id_n1, grain_id_extension, payload_binary, version";

    private static readonly OrleansDefaultHasher Hasher = new();
    private static readonly int StateNameHash = Hasher.Hash(Encoding.UTF8.GetBytes(StateName));

    /// <summary>
    /// Stores the state of each position that has none yet. Returns the ids stored (in input order); the others were
    /// stored already and are left as they are. All or nothing: on an error nothing is stored.
    /// </summary>
    /// <exception cref="ArgumentException">A position id is blank or repeated (nothing is stored).</exception>
    public async Task<IReadOnlyList<string>> InsertMissingAsync(
        IReadOnlyList<(string PositionId, PositionState State)> positions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(positions);
        var seen = new HashSet<string>(positions.Count, StringComparer.Ordinal);
        foreach (var (id, state) in positions)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(id, nameof(positions));
            ArgumentNullException.ThrowIfNull(state, nameof(positions));
            if (!seen.Add(id))
            {
                throw new ArgumentException($"positions: position {id} is listed twice", nameof(positions));
            }
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var create = new NpgsqlCommand(
                         "CREATE TEMPORARY TABLE aml_seed_state (LIKE orleans_storage INCLUDING DEFAULTS) ON COMMIT DROP", connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var writer = await connection.BeginBinaryImportAsync($"COPY aml_seed_state ({Columns}) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var (id, state) in positions)
            {
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(serviceId, NpgsqlDbType.Varchar, cancellationToken);
                await writer.WriteAsync(StateName, NpgsqlDbType.Varchar, cancellationToken);
                await writer.WriteAsync(StateNameHash, NpgsqlDbType.Integer, cancellationToken);
                await writer.WriteAsync(KeyHash(id), NpgsqlDbType.Integer, cancellationToken);
                await writer.WriteAsync(0L, NpgsqlDbType.Bigint, cancellationToken); // a string key has no numeric parts
                await writer.WriteAsync(0L, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(id, NpgsqlDbType.Varchar, cancellationToken);
                await writer.WriteAsync(serializer.Serialize(state).ToArray(), NpgsqlDbType.Bytea, cancellationToken);
                await writer.WriteAsync(1, NpgsqlDbType.Integer, cancellationToken);
            }

            await writer.CompleteAsync(cancellationToken);
        }

        var stored = new HashSet<string>(StringComparer.Ordinal);
        await using (var insert = new NpgsqlCommand(
                         $"INSERT INTO orleans_storage ({Columns}) SELECT {Columns} FROM aml_seed_state " +
                         "ON CONFLICT ON CONSTRAINT uq_orleans_storage_grain DO NOTHING RETURNING grain_id_extension", connection, transaction))
        await using (var reader = await insert.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                stored.Add(reader.GetString(0));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return positions.Select(p => p.PositionId).Where(stored.Contains).ToList();
    }

    /// <summary>
    /// The stored state of each of <paramref name="positionIds"/> that has one, in one query: what each position grain
    /// last made durable (a position writes its state before it acts on it). Read by a book shard that decides a
    /// cascade's liquidations without activating ten thousand grains.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, PositionState>> ReadAsync(IReadOnlyList<string> positionIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(positionIds);
        var states = new Dictionary<string, PositionState>(positionIds.Count, StringComparer.Ordinal);
        if (positionIds.Count == 0)
        {
            return states;
        }

        // The unique key (service, type, n0, n1, extension) finds each row; a string key has no numeric parts.
        await using var command = dataSource.CreateCommand(
            "SELECT grain_id_extension, payload_binary FROM orleans_storage WHERE service_id = @service AND grain_type = @type " +
            "AND grain_id_n0 = 0 AND grain_id_n1 = 0 AND grain_id_extension = ANY(@ids) AND payload_binary IS NOT NULL");
        command.Parameters.AddWithValue("service", serviceId);
        command.Parameters.AddWithValue("type", StateName);
        command.Parameters.Add(new NpgsqlParameter<string[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { TypedValue = [.. positionIds] });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (serializer.Deserialize<PositionState>(new BinaryData(reader.GetFieldValue<byte[]>(1))) is { } state)
            {
                states[reader.GetString(0)] = state;
            }
        }

        return states;
    }

    /// <summary>
    /// The provider's hash of a string grain key: <see cref="OrleansDefaultHasher"/> over the key's UTF-8 bytes, which
    /// the provider reverses on little-endian machines before hashing.
    /// </summary>
    public static int KeyHash(string key)
    {
        var bytes = Encoding.UTF8.GetBytes(key);
        if (BitConverter.IsLittleEndian)
        {
            Array.Reverse(bytes);
        }

        return Hasher.Hash(bytes);
    }
}
