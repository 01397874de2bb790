using Aml.Orleans.Grains.Storage;

namespace Aml.Orleans.Grains.Tests.Storage;

public sealed class PostgresSchemaTests
{
    // Every key the three 10.4.2 providers require at start-up (the clustering provider checks all of its own).
    private static readonly string[] RequiredQueryKeys =
    [
        "UpdateIAmAlivetimeKey", "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey",
        "MembershipReadRowKey", "MembershipReadAllKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey",
        "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey",
        "WriteToStorageKey", "ReadFromStorageKey", "ClearStorageKey",
        "UpsertReminderRowKey", "ReadReminderRowsKey", "ReadReminderRowKey", "ReadRangeRows1Key",
        "ReadRangeRows2Key", "DeleteReminderRowKey", "DeleteReminderRowsKey",
    ];

    // A fingerprint of everything the migrations create: columns, constraints, indexes and the query catalogue.
    private const string SchemaFingerprintSql = """
        SELECT md5(string_agg(line, E'\n' ORDER BY line)) FROM (
            SELECT format('col %s.%s %s %s', table_name, column_name, data_type, is_nullable) AS line
            FROM information_schema.columns WHERE table_schema = 'public'
            UNION ALL
            SELECT format('con %s %s', conname, pg_get_constraintdef(oid)) FROM pg_constraint
            WHERE connamespace = 'public'::regnamespace
            UNION ALL
            SELECT format('idx %s', indexdef) FROM pg_indexes WHERE schemaname = 'public'
            UNION ALL
            SELECT format('qry %s %s', querykey, md5(querytext)) FROM orleansquery
            UNION ALL
            SELECT format('mig %s %s', version, name) FROM aml_schema_migrations
        ) lines
        """;

    [Fact]
    public async Task MigrateAsync_Twice_SecondAppliesNothingAndSchemaIsUnchanged()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();

        var first = await PostgresSchema.MigrateAsync(database.ConnectionString, CancellationToken.None);
        var fingerprint = await database.ScalarAsync<string>(SchemaFingerprintSql);
        var second = await PostgresSchema.MigrateAsync(database.ConnectionString, CancellationToken.None);

        Assert.Equal(PostgresSchema.Migrations.Select(m => m.Name), first.Select(m => m.Name));
        Assert.Empty(second);
        Assert.Equal(fingerprint, await database.ScalarAsync<string>(SchemaFingerprintSql));
        Assert.Equal(PostgresSchema.Migrations.Count, (int)await database.ScalarAsync<long>("SELECT count(*) FROM aml_schema_migrations"));
    }

    [Fact]
    public async Task MigrateAsync_ConcurrentMigrators_EachFileAppliedExactlyOnce()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();

        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            Task.Run(() => PostgresSchema.MigrateAsync(database.ConnectionString, CancellationToken.None))));

        // Exactly one migrator did the work; the others waited on the lock and then found nothing to do.
        Assert.Single(runs, r => r.Count == PostgresSchema.Migrations.Count);
        Assert.Equal(3, runs.Count(r => r.Count == 0));
        Assert.Equal(PostgresSchema.Migrations.Count, (int)await database.ScalarAsync<long>("SELECT count(*) FROM aml_schema_migrations"));
    }

    [Fact]
    public async Task MigrateAsync_FreshDatabase_HasEveryProviderQueryKey()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await PostgresSchema.MigrateAsync(database.ConnectionString, CancellationToken.None);

        foreach (var key in RequiredQueryKeys)
        {
            Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM orleansquery WHERE querykey = @key", ("key", key)));
        }

        Assert.Equal((long)RequiredQueryKeys.Length, await database.ScalarAsync<long>("SELECT count(*) FROM orleansquery"));
    }

    [Fact]
    public async Task MigrateAsync_AppliedFileChanged_ThrowsNamingFileAndChangesNothing()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await PostgresSchema.MigrateAsync(database.ConnectionString, CancellationToken.None);
        // Pretend the recorded 0003 came from a different file, as if someone edited it after release.
        await database.ExecuteAsync("UPDATE aml_schema_migrations SET sha256 = '\\x00'::bytea WHERE version = 3");
        var fingerprint = await database.ScalarAsync<string>(SchemaFingerprintSql);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => PostgresSchema.MigrateAsync(database.ConnectionString, CancellationToken.None));

        Assert.Contains("0003_orleans_grain_storage.sql", error.Message, StringComparison.Ordinal);
        Assert.Equal(fingerprint, await database.ScalarAsync<string>(SchemaFingerprintSql));
    }

    [Fact]
    public async Task AuditDecision_DuplicateDigestOrShortHash_Rejected()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await PostgresSchema.MigrateAsync(database.ConnectionString, CancellationToken.None);
        const string Insert = """
            INSERT INTO aml_audit_decision (decision_digest, position_id, kind, features_hash, model_hash, signer_bitmap, status)
            VALUES (@digest, 'pos-1', 'open', @hash, @hash, 7, 'signed')
            """;
        var digest = Enumerable.Repeat((byte)0xAB, 32).ToArray();
        var hash = Enumerable.Repeat((byte)0x01, 32).ToArray();

        Assert.Equal(1, await database.ExecuteAsync(Insert, ("digest", digest), ("hash", hash)));
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => database.ExecuteAsync(Insert, ("digest", digest), ("hash", hash)));
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => database.ExecuteAsync(Insert, ("digest", new byte[31]), ("hash", hash)));
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM aml_audit_decision"));
    }

    [Fact]
    public void Migrations_Embedded_NumberedFromOneWithoutGaps() =>
        Assert.Equal(Enumerable.Range(1, PostgresSchema.Migrations.Count), PostgresSchema.Migrations.Select(m => m.Version));

    [Theory]
    [InlineData("1_short.sql")]
    [InlineData("0001-dash.sql")]
    [InlineData("0001_Upper.sql")]
    [InlineData("0001_x.txt")]
    public void Parse_MalformedName_ThrowsNamingFile(string name)
    {
        var error = Assert.Throws<InvalidDataException>(() => PostgresSchema.Parse([(name, "SELECT 1;")]));
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_VersionGap_ThrowsNamingFile()
    {
        var error = Assert.Throws<InvalidDataException>(
            () => PostgresSchema.Parse([("0001_a.sql", "SELECT 1;"), ("0003_c.sql", "SELECT 3;")]));
        Assert.Contains("0003_c.sql", error.Message, StringComparison.Ordinal);
    }
}
