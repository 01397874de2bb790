using Aml.Orleans.Silo.Auth;

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

    /// <summary><c>POST /v1/auth/sign-out</c>: clears the browser's admin session cookie (the token itself lives on until it expires).</summary>
    public static WebApplication MapAdminSignOut(this WebApplication app)
    {
        app.MapPost("/v1/auth/sign-out", (HttpContext http) =>
        {
            AdminSession.Clear(http);
            return Results.NoContent();
        });
        return app;
    }
}
