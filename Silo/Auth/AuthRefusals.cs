using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace Aml.Orleans.Silo.Auth;

/// <summary>
/// 401 and 403 that say why. The bearer handler's own answers are empty, which reached a browser as a bare status and
/// a gRPC client as "Bad gRPC response. HTTP status code: 401". Here a gRPC or gRPC-Web call gets the gRPC status
/// (UNAUTHENTICATED / PERMISSION_DENIED) with the reason in grpc-message, and REST gets the status with the JSON error
/// body the transcoder uses for every other refusal (<c>{"code", "message", "details"}</c>).
/// </summary>
internal static class AuthRefusals
{
    private const int Unauthenticated = 16;
    private const int PermissionDenied = 7;

    /// <summary>The bearer events that write those answers; on the admin port the token may come from the session cookie.</summary>
    public static JwtBearerEvents Events(AdminSession session) => new()
    {
        OnMessageReceived = context =>
        {
            context.Token ??= session.TokenFor(context.HttpContext);
            return Task.CompletedTask;
        },
        OnTokenValidated = async context =>
        {
            var grains = context.HttpContext.RequestServices.GetRequiredService<IGrainFactory>();
            if (context.Principal is { } user && await SessionRevocation.RefusalAsync(grains, user) is { } why)
            {
                context.Fail(new SessionEndedException(why));
            }
        },
        OnChallenge = async context =>
        {
            context.HandleResponse();
            var onAdminPort = session.IsAdminPort(context.HttpContext);
            var why = context.AuthenticateFailure switch
            {
                null when onAdminPort => "no admin session and no bearer token: sign in with an admin wallet on this port's admin page (/#admin)",
                null => "no bearer token: sign in first (Auth/Challenge, then Auth/SignIn; REST /v1/auth/challenge, /v1/auth/sign-in)",
                SecurityTokenExpiredException expired when onAdminPort => $"the admin session expired at {expired.Expires:O}: sign in again (/#admin)",
                SecurityTokenExpiredException expired => $"the bearer token expired at {expired.Expires:O}: sign in again",
                SessionEndedException ended => ended.Message,
                var failure => $"the bearer token is not valid ({failure.GetType().Name}): sign in again",
            };
            await WriteAsync(context.HttpContext, StatusCodes.Status401Unauthorized, Unauthenticated, why);
        },
        OnForbidden = context => WriteAsync(context.HttpContext, StatusCodes.Status403Forbidden, PermissionDenied,
            $"{context.HttpContext.User.Identity?.Name ?? "the caller"} is signed in but this call needs the admin role"),
    };

    private static async Task WriteAsync(HttpContext http, int httpStatus, int grpcStatus, string why)
    {
        var contentType = http.Request.ContentType ?? "";
        if (contentType.StartsWith("application/grpc", StringComparison.Ordinal))
        {
            // A trailers-only gRPC response: HTTP 200 with the status in the headers, as gRPC and gRPC-Web clients read it.
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = contentType;
            http.Response.Headers["grpc-status"] = grpcStatus.ToString(System.Globalization.CultureInfo.InvariantCulture);
            http.Response.Headers["grpc-message"] = Uri.EscapeDataString(why);
            return;
        }

        http.Response.StatusCode = httpStatus;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(JsonSerializer.Serialize(new { code = grpcStatus, message = why, details = Array.Empty<object>() }));
    }
}
