using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Aml.Orleans.Grains.Book;

/// <summary>
/// Asks the <see cref="IBookSpreaderGrain"/> to spread the book shards whenever the set of active silos changes, from the
/// oldest active silo only (one caller, so a spread is not asked for once per silo). It waits <see cref="SettleDelay"/>
/// first: a silo that has just joined answers calls before it is worth moving work to, and several silos starting
/// together are one change.
/// </summary>
internal sealed partial class BookSpreadTrigger(
    IClusterMembershipService membership,
    ILocalSiloDetails local,
    IGrainFactory grains,
    ILogger<BookSpreadTrigger> logger) : BackgroundService
{
    /// <summary>How long the membership must hold still before a spread.</summary>
    public static TimeSpan SettleDelay { get; } = TimeSpan.FromSeconds(3);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var spreadFor = new HashSet<SiloAddress>();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                var active = ActiveSilos(snapshot);
                if (active.SetEquals(spreadFor) || active.MinBy(s => s.Generation) is not { } oldest || !oldest.Equals(local.SiloAddress))
                {
                    continue;
                }

                await Task.Delay(SettleDelay, stoppingToken);
                if (!ActiveSilos(membership.CurrentSnapshot).SetEquals(active))
                {
                    continue; // it changed again: the next update spreads
                }

                await SpreadAsync();
                spreadFor = active;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the silo is stopping
        }
    }

    private static HashSet<SiloAddress> ActiveSilos(ClusterMembershipSnapshot snapshot) =>
        snapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToHashSet();

    private async Task SpreadAsync()
    {
        try
        {
            await grains.GetGrain<IBookSpreaderGrain>(0).SpreadAsync();
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException)
        {
            // The next membership change asks again; shards where they are keep working meanwhile.
            LogSpreadFailed(ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Book shards were not spread: {Reason}")]
    private partial void LogSpreadFailed(string reason);
}
