using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Chain;
using Aml.Orleans.Grains.Interfaces;
using Aml.Orleans.Protos;
using Aml.Orleans.Silo.Auth;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;

namespace Aml.Orleans.Silo.Services;

/// <summary>
/// Operator actions, admin role only. Failsafes go to the chain with the guardian key (halt, stricter market modes,
/// freezes: the guardian may only tighten); resuming or loosening is the admin's act and needs the admin key,
/// which production keeps in its multisig, not in the silo.
/// </summary>
[Authorize(Roles = WalletSignIn.AdminRole)]
internal sealed class AdminServiceImpl(
    IClusterClient cluster,
    IServiceProvider services,
    IConfiguration configuration,
    TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<Grains.Markets.MarketCatalogOptions> catalog)
    : Admin.AdminBase
{
    private static readonly string[] Modes = ["ACTIVE", "REDUCE_ONLY", "FROZEN"];

    /// <inheritdoc />
    public override Task<ChainActionResponse> Halt(HaltRequest request, ServerCallContext context) =>
        SendAsync("Aml:Chain:GuardianKey", "halt", []);

    /// <inheritdoc />
    public override Task<ChainActionResponse> Resume(ResumeRequest request, ServerCallContext context) =>
        SendAsync("Aml:Chain:AdminKey", "resume", []);

    /// <inheritdoc />
    public override Task<ChainActionResponse> SetMarketMode(SetMarketModeRequest request, ServerCallContext context)
    {
        var mode = Array.IndexOf(Modes, request.Mode);
        if (mode < 0)
        {
            throw RpcErrors.InvalidArgument("mode", $"'{request.Mode}' is not one of {string.Join(", ", Modes)}");
        }

        var chain = Chain();
        var marketId = chain.Deployment.Markets.TryGetValue(request.Asset, out var market)
            ? Bytes32.Parse(market.MarketId)
            : throw RpcErrors.InvalidArgument("asset", $"'{request.Asset}' is not a deployed market");
        return SendAsync(mode == 0 ? "Aml:Chain:AdminKey" : "Aml:Chain:GuardianKey", "setMarketMode", [marketId, (byte)mode]);
    }

    /// <inheritdoc />
    public override Task<ChainActionResponse> FreezePosition(FreezePositionRequest request, ServerCallContext context)
    {
        Bytes32 positionId;
        try
        {
            positionId = Bytes32.Parse(request.PositionId);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw RpcErrors.InvalidArgument("position_id", "expected 0x and 64 hex digits");
        }

        return SendAsync(request.Frozen ? "Aml:Chain:GuardianKey" : "Aml:Chain:AdminKey", "freezePosition", [positionId, request.Frozen]);
    }

    /// <inheritdoc />
    public override async Task<ModelStatusResponse> GetModelStatus(ModelStatusRequest request, ServerCallContext context) =>
        ToProto(await RiskOf(request.Asset).GetModelAsync());

    /// <inheritdoc />
    public override async Task<ModelCardsResponse> ListModelCards(ModelCardsRequest request, ServerCallContext context)
    {
        var asset = string.IsNullOrEmpty(request.Asset) ? null : RiskOf(request.Asset).GetPrimaryKeyString(); // an unlisted asset is refused by name
        var cards = services.GetService<Grains.Storage.ModelCards>() ??
                    throw RpcErrors.FailedPrecondition("model cards are kept in PostgreSQL, and this gateway runs without it");
        var response = new ModelCardsResponse();
        response.Cards.AddRange((await cards.ListAsync(asset, context.CancellationToken)).Select(ModelCardProto.From));
        return response;
    }

    /// <inheritdoc />
    public override async Task<LearningStatusResponse> GetLearningStatus(ModelStatusRequest request, ServerCallContext context)
    {
        try
        {
            var drift = await RiskOf(request.Asset).GetDriftAsync();
            var trainer = await cluster.GetGrain<IModelTrainerGrain>(request.Asset).GetStatusAsync();
            return LearningStatusProto.From(drift, trainer);
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException)
        {
            throw RpcErrors.FailedPrecondition($"{request.Asset} serves no model set: {ex.Message}");
        }
    }

    /// <inheritdoc />
    public override async Task<ModelStatusResponse> PromoteModel(PromoteModelRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.ModelDirectory))
        {
            throw RpcErrors.InvalidArgument("model_directory", "empty");
        }

        try
        {
            return ToProto(await RiskOf(request.Asset).UseModelAsync(request.ModelDirectory));
        }
        catch (Exception ex) when (ex is InvalidOperationException or FileNotFoundException or InvalidDataException or ArgumentException)
        {
            throw RpcErrors.FailedPrecondition(ex.Message);
        }
    }

    /// <inheritdoc />
    public override async Task<GovernanceOperation> QueueGovernance(QueueGovernanceRequest request, ServerCallContext context)
    {
        var chain = Chain();
        var calldata = GovernanceCalls.Encode(request, chain.Deployment);
        var function = MarginManagerGovernance.FunctionOf(calldata)!.Name;
        var receipt = await SendCalldataAsync("Aml:Chain:AdminKey", function, calldata);
        var queued = MarginManagerGovernance.QueuedIn(receipt, chain.Contract.Contract);
        var operation = queued is null
            ? new GovernanceOperation { Applied = true, Function = function, Data = Hex.Encode(calldata), BlockNumber = receipt.BlockNumber ?? 0 }
            : ToProto(queued, await ChainTimeAsync(chain));
        operation.TransactionHash = receipt.TransactionHash.ToString();
        return operation;
    }

    /// <inheritdoc />
    public override Task<OracleBacklogResponse> GetOracleBacklog(OracleBacklogRequest request, ServerCallContext context) =>
        OracleBacklog.ReadAsync(
            configuration.GetConnectionString("Postgres") is { Length: > 0 } postgres ? Grains.Storage.PostgresSiloBuilderExtensions.NormalizeConnectionString(postgres) : null,
            request.Limit,
            context.CancellationToken);

    /// <inheritdoc />
    public override async Task<ListGovernanceResponse> ListGovernance(ListGovernanceRequest request, ServerCallContext context)
    {
        var chain = Chain();
        var now = await ChainTimeAsync(chain);
        var response = new ListGovernanceResponse { GovernanceDelay = await chain.Contract.GetGovernanceDelayAsync(), ChainTime = now };
        response.Operations.AddRange((await chain.Contract.GetQueuedGovernanceAsync(chain.Deployment.DeployBlock)).Select(op => ToProto(op, now)));
        return response;
    }

    /// <inheritdoc />
    public override async Task<ChainActionResponse> ExecuteGovernance(GovernanceOpRequest request, ServerCallContext context)
    {
        var (chain, opId) = (Chain(), GovernanceCalls.OpId(request.OpId));
        var (eta, _) = await chain.Contract.GetGovernanceOpAsync(opId);
        if (eta == 0)
        {
            throw RpcErrors.NotFound($"queued governance operation {opId}");
        }

        var now = await ChainTimeAsync(chain);
        return eta > now
            ? throw RpcErrors.FailedPrecondition($"governance operation {opId} may run from {eta}, {eta - now} s after the chain's time {now}")
            : ToResponse(await SendCalldataAsync("Aml:Chain:AdminKey", "executeGovernance", MarginManagerGovernance.EncodeExecute(opId)));
    }

    /// <inheritdoc />
    public override async Task<ChainActionResponse> CancelGovernance(GovernanceOpRequest request, ServerCallContext context)
    {
        var (chain, opId) = (Chain(), GovernanceCalls.OpId(request.OpId));
        if ((await chain.Contract.GetGovernanceOpAsync(opId)).Eta == 0)
        {
            throw RpcErrors.NotFound($"queued governance operation {opId}");
        }

        return ToResponse(await SendCalldataAsync("Aml:Chain:GuardianKey", "cancelGovernance", MarginManagerGovernance.EncodeCancel(opId)));
    }

    /// <summary>
    /// The time the next block will carry: the later of the head's and ours (a chain that mines only on demand, like
    /// anvil, can have an old head while the next block takes the current time).
    /// </summary>
    private async Task<ulong> ChainTimeAsync(ChainContext chain) =>
        Math.Max((await chain.Rpc.GetBlockAsync("latest")).Timestamp, (ulong)clock.GetUtcNow().ToUnixTimeSeconds());

    private static GovernanceOperation ToProto(GovernanceOp op, ulong now) => new()
    {
        OpId = op.OpId.ToString(), Eta = op.Eta, Function = op.Function ?? "", Data = Hex.Encode(op.Data), BlockNumber = op.QueuedInBlock,
        Ready = op.Eta <= now,
    };

    private static ChainActionResponse ToResponse(TransactionReceipt receipt) =>
        new() { TransactionHash = receipt.TransactionHash.ToString(), BlockNumber = receipt.BlockNumber ?? 0 };

    private IRiskGrain RiskOf(string asset) =>
        !AssetSymbol.TryParse(asset, out _) ? throw RpcErrors.InvalidArgument("asset", $"'{asset}' is not an asset symbol like ETH-USD")
        : catalog.Value.Markets.ContainsKey(asset) ? cluster.GetGrain<IRiskGrain>(asset)
        : throw RpcErrors.NotFound($"market {asset}");

    private ChainContext Chain() =>
        services.GetService<ChainContext>() ?? throw RpcErrors.FailedPrecondition("this gateway is not connected to a chain (Aml:Chain:DeploymentFile)");

    private async Task<ChainActionResponse> SendAsync(string keySetting, string function, object[] arguments) =>
        ToResponse(await SendCalldataAsync(keySetting, function, MarginManagerAbi.Function(function).EncodeCall(arguments)));

    private async Task<TransactionReceipt> SendCalldataAsync(string keySetting, string function, byte[] calldata)
    {
        var chain = Chain();
        var key = configuration[keySetting];
        if (string.IsNullOrEmpty(key))
        {
            throw RpcErrors.FailedPrecondition($"{function} needs the key {keySetting}, which this gateway does not hold");
        }

        try
        {
            return await chain.Contract.SendAsync(chain.Sender, LocalKeySigner.FromHex(key), calldata);
        }
        catch (ExecutionRevertedException revert)
        {
            throw RpcErrors.FailedPrecondition($"the contract refuses {function}: {revert.DecodedError?.ToString() ?? revert.RpcMessage}");
        }
    }

    private static ModelStatusResponse ToProto(ModelStatus s) => new()
    {
        Asset = s.Asset, ModelHash = s.ModelHash, Directory = s.Directory, LoadedAt = AuthService.Iso(s.LoadedAt), Assessments = s.Assessments,
    };
}
