using System.Globalization;
using Aml.Orleans.Protos;
using Aml.Orleans.Silo.Auth;
using Grpc.Core;

namespace Aml.Orleans.Silo.Services;

/// <summary>
/// Wallet sign-in (no token needed to call it); challenges and sign-ins count against the wallet's and the address's
/// budgets. On the admin port it is the operators' door: an admin also gets the browser session cookie, anyone else
/// PERMISSION_DENIED (403 over REST) saying why.
/// </summary>
internal sealed class AuthService(WalletSignIn signIn, GatewayRateLimits limits, AdminSession session) : Protos.Auth.AuthBase
{
    /// <inheritdoc />
    public override Task<ChallengeResponse> Challenge(ChallengeRequest request, ServerCallContext context)
    {
        limits.Acquire(RateLimitedCall.SignIn, request.Address, context);
        var message = signIn.Challenge(request.Address);
        return Task.FromResult(new ChallengeResponse { Message = message.ToString(), ExpiresAt = Iso(message.ExpiresAt) });
    }

    /// <inheritdoc />
    public override async Task<SignInResponse> SignIn(SignInRequest request, ServerCallContext context)
    {
        limits.Acquire(RateLimitedCall.SignIn, SignInMessage.TryParse(request.Message)?.Address ?? "", context);
        var (token, expiresAt, address, isAdmin) = await signIn.SignInAsync(request.Message, request.Signature);
        var http = context.GetHttpContext();
        if (session.IsAdminPort(http))
        {
            if (!isAdmin)
            {
                throw RpcErrors.PermissionDenied($"{address} is not an administrator: the admin port signs in only the deployment's admin and guardian and the addresses in Aml:Auth:Admins; traders sign in on the web app's port");
            }

            AdminSession.Issue(http, token, expiresAt);
        }

        return new SignInResponse { Token = token, ExpiresAt = Iso(expiresAt), Address = address.ToString(), IsAdmin = isAdmin };
    }

    internal static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
}
