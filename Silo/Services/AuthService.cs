using System.Globalization;
using Aml.Orleans.Protos;
using Aml.Orleans.Silo.Auth;
using Grpc.Core;

namespace Aml.Orleans.Silo.Services;

/// <summary>Wallet sign-in (no token needed to call it); challenges and sign-ins count against the wallet's and the address's budgets.</summary>
internal sealed class AuthService(WalletSignIn signIn, GatewayRateLimits limits) : Protos.Auth.AuthBase
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
        return new SignInResponse { Token = token, ExpiresAt = Iso(expiresAt), Address = address.ToString(), IsAdmin = isAdmin };
    }

    internal static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
}
