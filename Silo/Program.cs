using Aml.Orleans.Grains.Storage;
using Aml.Orleans.Silo.Extensions;

var builder = WebApplication.CreateBuilder(args);

// `--migrate-only`: bring the PostgreSQL schema up to date and exit (the Kubernetes migration Job, `./aml migrate`).
if (args.Contains("--migrate-only"))
{
    var postgres = builder.Configuration.GetConnectionString("Postgres")
        ?? throw new InvalidOperationException("--migrate-only needs ConnectionStrings:Postgres (env ConnectionStrings__Postgres)");
    var applied = await PostgresSchema.MigrateAsync(PostgresSiloBuilderExtensions.NormalizeConnectionString(postgres), CancellationToken.None);
    Console.WriteLine($"schema up to date: {applied.Count} migration(s) applied{(applied.Count > 0 ? ": " + string.Join(", ", applied.Select(m => m.Name)) : "")}");
    return;
}

builder.AddAmlSilo();
builder.AddAmlTelemetry();

var app = builder.Build();
app.MapAmlEndpoints();
app.Run();
