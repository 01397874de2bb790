using Grpc.Core;
using Grpc.Core.Interceptors;
using Orleans.Runtime;

namespace Aml.Orleans.Silo.Services;

/// <summary>
/// Answers UNAVAILABLE, which gRPC clients retry, when the cluster behind the gateway cannot serve a call for now (a
/// silo joining or leaving, a grain that cannot be placed yet, a call that timed out); without it such a call surfaced
/// as UNKNOWN "Exception was thrown by handler", which tells the frontend nothing and is not retried.
/// </summary>
internal sealed partial class TransientErrorInterceptor(ILogger<TransientErrorInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            throw Unavailable(context, ex);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            throw Unavailable(context, ex);
        }
    }

    /// <summary>Orleans' own failures (placement, messaging, silo unavailable) and timeouts pass; a bug does not.</summary>
    internal static bool IsTransient(Exception ex) => ex is OrleansException or TimeoutException;

    private RpcException Unavailable(ServerCallContext context, Exception ex)
    {
        LogUnavailable(context.Method, ex.GetType().Name, ex.Message);
        return new RpcException(new Status(StatusCode.Unavailable, "the cluster cannot serve this call right now; retry"));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} answered UNAVAILABLE: {ExceptionType}: {Reason}")]
    private partial void LogUnavailable(string method, string exceptionType, string reason);
}
