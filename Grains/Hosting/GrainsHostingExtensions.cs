using Aml.Orleans.Grains.Book;
using Aml.Orleans.Grains.Markets;
using Aml.Orleans.Grains.Positions;
using Aml.Orleans.Grains.Risk;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Aml.Orleans.Grains.Hosting;

/// <summary>What a silo needs for the AML grains, in one call shared by the host and the test cluster.</summary>
public static class GrainsHostingExtensions
{
    /// <summary>
    /// Registers the grains' options, the system clock (tests replace it with a fake one first) and the book shards'
    /// spreading over the silos.
    /// </summary>
    public static ISiloBuilder AddAmlGrains(
        this ISiloBuilder silo,
        Action<MarketOptions>? markets = null,
        Action<PositionOptions>? positions = null,
        Action<MarketCatalogOptions>? catalog = null,
        Action<RiskOptions>? risk = null,
        Action<TrainerOptions>? trainer = null)
    {
        silo.Services.TryAddSingleton(TimeProvider.System);
        silo.Services.TryAddSingleton<ServedEngines>();
        silo.Services.TryAddSingleton<Traders.TraderProfileCache>();
        silo.Services.AddOptions<MarketOptions>().Configure(o => markets?.Invoke(o));
        silo.Services.AddOptions<PositionOptions>().Configure(o => positions?.Invoke(o));
        silo.Services.AddOptions<MarketCatalogOptions>().Configure(o => catalog?.Invoke(o));
        silo.Services.AddOptions<RiskOptions>().Configure(o => risk?.Invoke(o));
        silo.Services.AddOptions<TrainerOptions>().Configure(o => trainer?.Invoke(o));
        silo.Services.AddHostedService<BookSpreadTrigger>(); // shards follow the cluster as it grows
        return silo;
    }

    /// <summary>
    /// Starts the daily reminder of each asset's model trainer that has training history configured
    /// (<c>Aml:Trainer:History</c>), once the silo serves grains; idempotent (the reminder is upserted). Needs a reminder service.
    /// </summary>
    public static ISiloBuilder ScheduleAmlTrainers(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.AddSingleton<IHostedService>(services => new TrainerStarter(
            services.GetRequiredService<IGrainFactory>(), [.. services.GetRequiredService<IOptions<TrainerOptions>>().Value.History.Keys]));
        return silo;
    }

    private sealed class TrainerStarter(IGrainFactory grains, string[] assets) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            Task.WhenAll(assets.Select(asset => grains.GetGrain<Interfaces.IModelTrainerGrain>(asset).EnsureScheduledAsync()));

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
