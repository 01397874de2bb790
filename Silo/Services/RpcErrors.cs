using Grpc.Core;

namespace Aml.Orleans.Silo.Services;

/// <summary>The gateway's error vocabulary: every refusal names what was wrong.</summary>
internal static class RpcErrors
{
    /// <summary>INVALID_ARGUMENT naming the field, e.g. <c>asset: 'ETHUSD' is not an asset symbol like ETH-USD</c>.</summary>
    public static RpcException InvalidArgument(string field, string problem) =>
        new(new Status(StatusCode.InvalidArgument, $"{field}: {problem}"));

    /// <summary>NOT_FOUND for a thing that does not exist (or that the caller may not see).</summary>
    public static RpcException NotFound(string what) => new(new Status(StatusCode.NotFound, $"{what} not found"));

    /// <summary>FAILED_PRECONDITION: the request is well-formed but the system's state refuses it now.</summary>
    public static RpcException FailedPrecondition(string why) => new(new Status(StatusCode.FailedPrecondition, why));

    /// <summary>PERMISSION_DENIED for an authenticated caller acting beyond their rights.</summary>
    public static RpcException PermissionDenied(string why) => new(new Status(StatusCode.PermissionDenied, why));

    /// <summary>UNAUTHENTICATED: the caller's proof of identity does not hold.</summary>
    public static RpcException Unauthenticated(string why) => new(new Status(StatusCode.Unauthenticated, why));
}
