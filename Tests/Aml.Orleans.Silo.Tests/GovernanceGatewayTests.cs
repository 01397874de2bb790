using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Tests;
using Aml.Orleans.Protos;
using Grpc.Core;

namespace Aml.Orleans.Silo.Tests;

/// <summary>Delayed governance through the admin gateway, against the v2 contract on anvil.</summary>
[Collection(GatewayCollection.Name)]
public sealed class GovernanceGatewayTests(GatewayFixture fixture)
{
    private const ulong DelaySeconds = 2;

    [Theory]
    [InlineData("set_model.model_hash")]
    [InlineData("set_signers.threshold")]
    [InlineData("set_signers.signers[1]")]
    [InlineData("set_market_limits.asset")]
    [InlineData("set_market_limits.max_feed_deviation_bps")]
    [InlineData("withdraw_liquidity.amount")]
    [InlineData("change")]
    public async Task QueueGovernance_BadField_InvalidArgumentNamingItAndNothingSent(string field)
    {
        var admin = new Protos.Admin.AdminClient(fixture.Channel);
        var signers = fixture.Chain.Deployment.Signers;
        var request = field switch
        {
            "set_model.model_hash" => new QueueGovernanceRequest { SetModel = new SetModelChange { ModelHash = "0x12", Allowed = true } },
            "set_signers.threshold" => new QueueGovernanceRequest { SetSigners = new SetSignersChange { Signers = { signers }, Threshold = 2 } },
            "set_signers.signers[1]" => new QueueGovernanceRequest { SetSigners = new SetSignersChange { Signers = { signers[0], "0xnope" }, Threshold = 2 } },
            "set_market_limits.asset" => new QueueGovernanceRequest { SetMarketLimits = new SetMarketLimitsChange { Asset = "BTCUSD" } },
            "set_market_limits.max_feed_deviation_bps" => new QueueGovernanceRequest { SetMarketLimits = new SetMarketLimitsChange { Asset = "BTC-USD", MaxFeedDeviationBps = 10_001 } },
            "withdraw_liquidity.amount" => new QueueGovernanceRequest { WithdrawLiquidity = new WithdrawLiquidityChange { Amount = 0 } },
            _ => new QueueGovernanceRequest(),
        };
        var nonce = await fixture.Chain.Rpc.GetTransactionCountAsync(fixture.Chain.Signer(0).Address, "latest");

        var error = await Assert.ThrowsAsync<RpcException>(async () => await admin.QueueGovernanceAsync(request, await fixture.SignInAsync(0)));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(field + ":", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(nonce, await fixture.Chain.Rpc.GetTransactionCountAsync(fixture.Chain.Signer(0).Address, "latest"));
    }

    [Fact]
    public async Task Governance_QueueListExecuteCancel_DelayHoldsLooseningAndTheGuardianVetoes()
    {
        var admin = new Protos.Admin.AdminClient(fixture.Channel);
        var headers = await fixture.SignInAsync(0);
        var contract = new MarginManagerClient(fixture.Chain.Rpc, Address.Parse(fixture.Chain.Deployment.MarginManager));
        var denied = await Assert.ThrowsAsync<RpcException>(async () => await admin.ListGovernanceAsync(new ListGovernanceRequest(), await fixture.SignInAsync(6)));
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);

        // Raising the delay applies at once; from then on loosening changes wait for it.
        var raised = await admin.QueueGovernanceAsync(Delay(DelaySeconds), headers);
        Assert.True(raised.Applied);
        Assert.Equal(DelaySeconds, await contract.GetGovernanceDelayAsync());
        try
        {
            var modelHash = Hex.Encode(Keccak.Hash("governance-test-model-" + Guid.NewGuid()));
            var allow = await admin.QueueGovernanceAsync(new QueueGovernanceRequest { SetModel = new SetModelChange { ModelHash = modelHash, Allowed = true } }, headers);
            var withdraw = await admin.QueueGovernanceAsync(new QueueGovernanceRequest { WithdrawLiquidity = new WithdrawLiquidityChange { Amount = 1_000_000 } }, headers);

            Assert.False(allow.Applied);
            Assert.Equal("setModel", allow.Function);
            Assert.False(await IsModelAllowedAsync(modelHash));
            var listed = await admin.ListGovernanceAsync(new ListGovernanceRequest(), headers);
            Assert.Equal(DelaySeconds, listed.GovernanceDelay);
            Assert.Equal([allow.OpId, withdraw.OpId], listed.Operations.Select(o => o.OpId).TakeLast(2));

            if (allow.Eta > (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds())
            {
                var early = await Assert.ThrowsAsync<RpcException>(async () => await admin.ExecuteGovernanceAsync(new GovernanceOpRequest { OpId = allow.OpId }, headers));
                Assert.Equal(StatusCode.FailedPrecondition, early.StatusCode);
            }

            await admin.CancelGovernanceAsync(new GovernanceOpRequest { OpId = withdraw.OpId }, headers);
            var again = await Assert.ThrowsAsync<RpcException>(async () => await admin.CancelGovernanceAsync(new GovernanceOpRequest { OpId = withdraw.OpId }, headers));
            Assert.Equal(StatusCode.NotFound, again.StatusCode);
            var badId = await Assert.ThrowsAsync<RpcException>(async () => await admin.ExecuteGovernanceAsync(new GovernanceOpRequest { OpId = "42" }, headers));
            Assert.StartsWith("op_id:", badId.Status.Detail, StringComparison.Ordinal);

            await ExecuteWhenReadyAsync(admin, headers, allow);
            Assert.True(await IsModelAllowedAsync(modelHash));
            Assert.DoesNotContain((await admin.ListGovernanceAsync(new ListGovernanceRequest(), headers)).Operations, o => o.OpId == allow.OpId || o.OpId == withdraw.OpId);
        }
        finally
        {
            // Lowering the delay is itself delayed: queue it, wait it out, run it, so the other gateway tests see delay 0.
            var lower = await admin.QueueGovernanceAsync(Delay(0), headers);
            if (!lower.Applied)
            {
                await ExecuteWhenReadyAsync(admin, headers, lower);
            }
        }

        Assert.Equal(0UL, await contract.GetGovernanceDelayAsync());

        async Task<bool> IsModelAllowedAsync(string hash)
        {
            var function = Ethereum.Abi.AbiContract.FromJson(File.ReadAllText(Path.Combine(Grains.Tests.Chain.AnvilChain.RepositoryRoot(), "Contracts.Solidity", "abi", "MarginManager.json")))
                .Function("isModelAllowed");
            return (bool)function.DecodeOutput(await fixture.Chain.Rpc.CallAsync(new Ethereum.Rpc.CallRequest(contract.Contract, function.EncodeCall(Bytes32.Parse(hash)))))[0];
        }
    }

    private static QueueGovernanceRequest Delay(ulong seconds) =>
        new() { SetGovernanceDelay = new SetGovernanceDelayChange { DelaySeconds = seconds } };

    /// <summary>Waits until the operation's eta has passed on the gateway's view of the chain clock, then runs it.</summary>
    private static async Task ExecuteWhenReadyAsync(Protos.Admin.AdminClient admin, Metadata headers, GovernanceOperation operation)
    {
        await ClusterFixture.EventuallyAsync(
            async () => (await admin.ListGovernanceAsync(new ListGovernanceRequest(), headers)).Operations.Single(o => o.OpId == operation.OpId),
            o => o.Ready, $"governance operation {operation.OpId} ready");
        var executed = await admin.ExecuteGovernanceAsync(new GovernanceOpRequest { OpId = operation.OpId }, headers);
        Assert.StartsWith("0x", executed.TransactionHash, StringComparison.Ordinal);
    }
}
