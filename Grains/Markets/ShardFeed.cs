using Aml.Orleans.Grains.Book;

namespace Aml.Orleans.Grains.Markets;

/// <summary>
/// The market's line to one book shard, conflating prices: at most one price is on its way at a time, and prices that
/// arrive meanwhile replace each other, so a busy shard gets only the newest when it is free again. The market never
/// awaits a shard in its turn (a shard may be activating and asking the market for its price).
/// </summary>
/// <remarks>Lives inside the market grain: its continuations run on the grain's scheduler, one at a time.</remarks>
internal sealed class ShardFeed(IMarketBookGrain shard)
{
    private bool _sending;
    private bool _hasNext;
    private long _nextPriceE8;
    private DateTimeOffset _nextAt;

    /// <summary>The shard fed.</summary>
    public IMarketBookGrain Shard { get; } = shard;

    /// <summary>Hands <paramref name="priceE8"/> to the shard now, or after the price on its way if there is one.</summary>
    /// <param name="priceE8">The accepted price (E8).</param>
    /// <param name="at">Its time.</param>
    /// <param name="failed">Told when the shard could not take a price; the next one is sent all the same.</param>
    public void Offer(long priceE8, DateTimeOffset at, Action<IMarketBookGrain, Exception> failed)
    {
        (_hasNext, _nextPriceE8, _nextAt) = (true, priceE8, at);
        if (!_sending)
        {
            _ = SendAsync(failed);
        }
    }

    private async Task SendAsync(Action<IMarketBookGrain, Exception> failed)
    {
        _sending = true;
        try
        {
            while (_hasNext)
            {
                _hasNext = false;
                try
                {
                    await Shard.OnPriceAsync(_nextPriceE8, _nextAt);
                }
                catch (Exception ex)
                {
                    failed(Shard, ex); // a shard that comes back loads its rows and checks them at the market's price
                }
            }
        }
        finally
        {
            _sending = false;
        }
    }
}
