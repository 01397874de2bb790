using Aml.Orleans.Silo.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace Aml.Orleans.Silo.Extensions;

/// <summary>What only the admin port serves: <c>/metrics</c> and the Orleans dashboard (every grain and silo).</summary>
public static class AdminPortExtensions
{
    private static readonly PathString[] AdminOnly = ["/metrics", "/dashboard"];

    /// <summary>
    /// Answers 404 for the admin-only paths on every other port. Decided by the port the connection came in on, not by
    /// the Host header, which the caller writes.
    /// </summary>
    public static WebApplication UseAdminOnlyPaths(this WebApplication app)
    {
        var session = app.Services.GetRequiredService<AdminSession>();
        app.Use((http, next) =>
        {
            if (!session.IsAdminPort(http) && AdminOnly.Any(p => http.Request.Path.StartsWithSegments(p)))
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(http);
        });
        return app;
    }

    /// <summary>
    /// <c>POST /v1/auth/sign-out</c>: ends the session of the token the request carries (the admin cookie or a bearer
    /// header) on every silo, and clears the browser's cookie. Signing out twice, or without a session, is no error.
    /// </summary>
    public static WebApplication MapAdminSignOut(this WebApplication app)
    {
        app.MapPost("/v1/auth/sign-out", async (HttpContext http, IGrainFactory grains) =>
        {
            var session = await http.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
            if (session.Succeeded)
            {
                await SessionRevocation.RevokeAsync(grains, session.Principal);
            }

            AdminSession.Clear(http);
            return Results.NoContent();
        });
        return app;
    }
}
