using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Grains.Oracle;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Aml.Orleans.Grains.Hosting;

/// <summary>Connects a silo to a deployed MarginManager: the oracle's keys, the chain client and the log indexer.</summary>
public static class ChainHostingExtensions
{
    /// <summary>
    /// Registers the chain context for <paramref name="deployment"/>, the event relay, the oracle's journal and audit table (when
    /// <paramref name="postgresConnectionString"/> is given) and a start-up task that starts the log indexer.
    /// </summary>
    public static ISiloBuilder AddAmlChain(
        this ISiloBuilder silo, Deployment deployment, Action<OracleOptions> oracle, string? postgresConnectionString = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(deployment);
        silo.Services.AddSingleton(deployment);
        silo.Services.AddOptions<OracleOptions>().Configure(oracle);
        silo.Services.AddSingleton<ChainContext>();
        silo.Services.AddSingleton<ChainEventRelay>();
        // The bulk path exists only with PostgreSQL grain storage; without it the first sync delivers every event.
        silo.Services.AddSingleton(services => new ChainFirstSync(
            services.GetRequiredService<ChainContext>(), services.GetRequiredService<ChainEventRelay>(), services.GetRequiredService<IGrainFactory>(),
            services.GetRequiredService<IOptions<MarketCatalogOptions>>().Value, services.GetService<PositionSeeder>(),
            services.GetRequiredService<IOptions<OracleOptions>>().Value.MaxLogRange));
        silo.Services.AddSingleton<MarketGuardReader>();
        silo.Services.AddSingleton<Risk.IModelRegistry, ChainModelRegistry>();
        if (!string.IsNullOrEmpty(postgresConnectionString))
        {
            silo.Services.TryAddSingleton(_ => NpgsqlDataSource.Create(Storage.PostgresSiloBuilderExtensions.NormalizeConnectionString(postgresConnectionString)));
            // The oracle's state as a row journal, written in one batch with its audit rows.
            silo.Services.AddSingleton<IOracleJournalStore, Storage.OracleJournalTable>();
            // Recorded decisions mature from the markets' candles on an hourly reminder per listed market.
            silo.Services.AddSingleton<IHostedService>(services => new OutcomeMaturingStarter(
                services.GetRequiredService<IGrainFactory>(), deployment.Catalog().Keys.ToArray()));
        }

        // Without a database the journal lives in memory, as grain state then does.
        silo.Services.TryAddSingleton<IOracleJournalStore, MemoryOracleJournalStore>();
        silo.Services.AddSingleton<IHostedService>(services => new IndexerStarter(services.GetRequiredService<IGrainFactory>(), deployment.OracleKey));
        return silo;
    }

    /// <summary>
    /// Lets the model trainer queue (and, after the governance delay, run) its promotions' <c>setModel</c> with
    /// <paramref name="adminKey"/>. Only for a stack whose silo holds the admin key; needs <see cref="AddAmlChain"/>.
    /// </summary>
    public static ISiloBuilder AddAmlModelProposer(this ISiloBuilder silo, string adminKey)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentException.ThrowIfNullOrEmpty(adminKey);
        silo.Services.AddSingleton<Risk.IModelProposer>(services => new ChainModelProposer(
            services.GetRequiredService<ChainContext>(), adminKey, services.GetRequiredService<TimeProvider>()));
        return silo;
    }

    /// <summary>Schedules each market's outcome maturing once the silo serves grains (idempotent: the reminder is upserted).</summary>
    private sealed class OutcomeMaturingStarter(IGrainFactory grains, string[] assets) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            Task.WhenAll(assets.Select(asset => grains.GetGrain<IOutcomeGrain>(asset).EnsureScheduledAsync()));

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Starts the indexer once the silo serves grains (its reminder keeps it running after that).</summary>
    private sealed class IndexerStarter(IGrainFactory grains, string key) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            grains.GetGrain<IChainIndexerGrain>(key).EnsureRunningAsync();

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
