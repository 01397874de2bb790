using Aml.Orleans.Protos;
using Grpc.Core;

namespace Aml.Orleans.Silo.Tests;

/// <summary>Admin.GetLearningStatus over a real socket: the drift watch on the served set and the trainer's stage, for administrators only.</summary>
[Collection(GatewayCollection.Name)]
public sealed class LearningStatusGatewayTests(GatewayFixture fixture)
{
    [Fact]
    public async Task GetLearningStatus_TheServedSet_ItsWatchThresholdsPerSideAndTheTrainerForAdminsOnly()
    {
        await fixture.PriceAsync("BTC-USD", 47_000_00000000);
        var admin = new Admin.AdminClient(fixture.Channel);
        var headers = await fixture.SignInAsync(0);
        var served = await admin.GetModelStatusAsync(new ModelStatusRequest { Asset = "BTC-USD" }, headers);

        var status = await admin.GetLearningStatusAsync(new ModelStatusRequest { Asset = "BTC-USD" }, headers);
        var denied = await Assert.ThrowsAsync<RpcException>(async () =>
            await admin.GetLearningStatusAsync(new ModelStatusRequest { Asset = "BTC-USD" }, await fixture.SignInAsync(6)));
        var unlisted = await Assert.ThrowsAsync<RpcException>(async () => await admin.GetLearningStatusAsync(new ModelStatusRequest { Asset = "XYZ-USD" }, headers));

        Assert.Equal((served.ModelHash, 0.95, 0.10, 0.05, 50u), (status.ModelHash, status.Target, status.Margin, status.Recovery, status.Window));
        // Nothing has matured in this gateway's life long enough to move the watch: both sides on the model's terms.
        Assert.False(status.Long.Fallback);
        Assert.False(status.Short.Fallback);
        Assert.True(status.Long.Matured <= status.Window);
        Assert.Equal("none", status.TrainerStage);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Equal(StatusCode.NotFound, unlisted.StatusCode);

        // The gauge the alert AmlRiskFallback reads, under the name the rule uses, once the risk grain reported its watch.
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri(fixture.AdminBase, "/metrics"));
        Assert.Matches("""aml_risk_fallback\{[^}]*asset="BTC-USD"[^}]*side="long"[^}]*\} 0""", metrics);
    }
}
