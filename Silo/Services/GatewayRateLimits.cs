using System.Threading.RateLimiting;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Aml.Orleans.Silo.Services;

/// <summary>The calls that cost the cluster (a signature check, a risk assessment, a transaction) and have a budget.</summary>
public enum RateLimitedCall
{
    /// <summary>Challenge and sign-in.</summary>
    SignIn,

    /// <summary>A quote: one risk assessment.</summary>
    Quote,

    /// <summary>An open: a transaction relayed by the oracle.</summary>
    Open,
}

/// <summary>Budgets per wallet and per client IP address, each a count per <see cref="Window"/> (section <c>Aml:RateLimits</c>).</summary>
public sealed class RateLimitOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Aml:RateLimits";

    /// <summary>The window the counts are per.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Challenges and sign-ins per wallet.</summary>
    public int SignInsPerWallet { get; set; } = 20;

    /// <summary>Quotes per wallet.</summary>
    public int QuotesPerWallet { get; set; } = 60;

    /// <summary>Opens per wallet.</summary>
    public int OpensPerWallet { get; set; } = 20;

    /// <summary>Challenges and sign-ins per IP address (many wallets behind one address add up here).</summary>
    public int SignInsPerAddress { get; set; } = 200;

    /// <summary>Quotes per IP address.</summary>
    public int QuotesPerAddress { get; set; } = 600;

    /// <summary>Opens per IP address.</summary>
    public int OpensPerAddress { get; set; } = 200;
}

/// <summary>
/// Fixed-window budgets checked inside the services, so gRPC, gRPC-Web and REST share them: over budget is
/// RESOURCE_EXHAUSTED (HTTP 429 on REST) saying which budget and when it refills. Per silo: a cluster of N gateways
/// allows up to N times the budget, which is fine for a brake on abuse and needs no shared state.
/// </summary>
public sealed class GatewayRateLimits : IDisposable
{
    private readonly RateLimitOptions _options;
    private readonly PartitionedRateLimiter<(RateLimitedCall Call, string Key)> _perWallet;
    private readonly PartitionedRateLimiter<(RateLimitedCall Call, string Key)> _perAddress;

    /// <summary>Creates the limiters from the options.</summary>
    public GatewayRateLimits(IOptions<RateLimitOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _perWallet = Create(call => call switch
        {
            RateLimitedCall.SignIn => _options.SignInsPerWallet,
            RateLimitedCall.Quote => _options.QuotesPerWallet,
            _ => _options.OpensPerWallet,
        });
        _perAddress = Create(call => call switch
        {
            RateLimitedCall.SignIn => _options.SignInsPerAddress,
            RateLimitedCall.Quote => _options.QuotesPerAddress,
            _ => _options.OpensPerAddress,
        });
    }

    /// <summary>Takes one of <paramref name="wallet"/>'s and of the caller's address's permits, or throws RESOURCE_EXHAUSTED.</summary>
    public void Acquire(RateLimitedCall call, string wallet, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var address = context.GetHttpContext().Connection.RemoteIpAddress?.ToString() ?? "unknown";
        Take(_perAddress, call, address, $"from {address}");
        Take(_perWallet, call, wallet.ToLowerInvariant(), $"for wallet {wallet}");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _perWallet.Dispose();
        _perAddress.Dispose();
    }

    private void Take(PartitionedRateLimiter<(RateLimitedCall, string)> limiter, RateLimitedCall call, string key, string whose)
    {
        using var lease = limiter.AttemptAcquire((call, key));
        if (!lease.IsAcquired)
        {
            var retry = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? $"; retry in {Math.Ceiling(after.TotalSeconds)} s" : "";
            throw new RpcException(new Status(StatusCode.ResourceExhausted,
                $"too many {Name(call)} {whose}: the budget is per {_options.Window.TotalSeconds:0} s{retry}"));
        }
    }

    private PartitionedRateLimiter<(RateLimitedCall Call, string Key)> Create(Func<RateLimitedCall, int> permits) =>
        PartitionedRateLimiter.Create<(RateLimitedCall Call, string Key), (RateLimitedCall, string)>(request =>
            RateLimitPartition.GetFixedWindowLimiter(request, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = permits(request.Call), Window = _options.Window, QueueLimit = 0, AutoReplenishment = true,
            }));

    private static string Name(RateLimitedCall call) => call switch
    {
        RateLimitedCall.SignIn => "sign-ins",
        RateLimitedCall.Quote => "quotes",
        _ => "opens",
    };
}
