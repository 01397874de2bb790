using Aml.Orleans.Ethereum;
using Aml.Orleans.Protos;
using Grpc.Core;
using Grpc.Net.Client;

namespace Aml.Orleans.Client;

/// <summary>
/// The frontend's sign-in against the gateway: ask for a challenge, sign it as a wallet does (personal_sign), trade it
/// for a bearer token. One source for every .NET client of the gateway: the CLI, the load harness and the tests.
/// </summary>
public static class WalletSignInClient
{
    /// <summary>Signs in as <paramref name="wallet"/>; returns the headers that authenticate later calls.</summary>
    public static async Task<Metadata> SignInAsync(GrpcChannel channel, LocalKeySigner wallet)
    {
        var auth = new Auth.AuthClient(channel);
        var challenge = await auth.ChallengeAsync(new ChallengeRequest { Address = wallet.Address.ToString() });
        var signature = Hex.Encode(wallet.SignHash(PersonalMessage.Hash(challenge.Message)).ToRsv());
        var signedIn = await auth.SignInAsync(new SignInRequest { Message = challenge.Message, Signature = signature });
        return new Metadata { { "Authorization", "Bearer " + signedIn.Token } };
    }
}
