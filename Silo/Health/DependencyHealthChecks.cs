using Aml.Orleans.Grains.Chain;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Aml.Orleans.Silo.Health;

/// <summary>Ready only when PostgreSQL answers: without it no grain state can be written, so no decision is safe.</summary>
internal sealed class PostgresHealthCheck(IConfiguration configuration) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var connectionString = configuration.GetConnectionString("Postgres");
        if (string.IsNullOrEmpty(connectionString))
        {
            return HealthCheckResult.Healthy("no PostgreSQL configured: memory storage (development)");
        }

        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (NpgsqlException ex)
        {
            return HealthCheckResult.Unhealthy($"PostgreSQL does not answer: {ex.Message}");
        }
    }
}

/// <summary>Ready only when the chain answers with the deployment's chain id (decisions could not go out otherwise).</summary>
internal sealed class ChainHealthCheck(IServiceProvider services) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (services.GetService<ChainContext>() is not { } chain)
        {
            return HealthCheckResult.Healthy("no chain configured");
        }

        try
        {
            var chainId = await chain.Rpc.GetChainIdAsync(cancellationToken);
            return chainId == chain.Deployment.ChainId
                ? HealthCheckResult.Healthy($"chain {chainId} at block {await chain.Rpc.GetBlockNumberAsync(cancellationToken)}")
                : HealthCheckResult.Unhealthy($"the node reports chain {chainId}, the deployment is on {chain.Deployment.ChainId}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException or Ethereum.Rpc.JsonRpcException or TaskCanceledException)
        {
            return HealthCheckResult.Unhealthy($"the chain does not answer: {ex.Message}");
        }
    }
}
