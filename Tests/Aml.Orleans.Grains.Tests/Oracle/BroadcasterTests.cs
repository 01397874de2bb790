using Aml.Orleans.Ethereum;
using Aml.Orleans.Ethereum.Rpc;
using Aml.Orleans.Grains.Oracle;
using Aml.Orleans.Grains.Tests.Chain;
using Microsoft.Extensions.Time.Testing;

namespace Aml.Orleans.Grains.Tests.Oracle;

/// <summary>The oracle's broadcaster against a real anvil of its own: plain transfers from a trader's dev key.</summary>
public sealed class BroadcasterTests : IAsyncLifetime
{
    private static readonly TimeSpan ResendAfter = TimeSpan.FromSeconds(30);
    private static readonly Address Recipient = new(Keccak.Hash("broadcaster recipient").AsSpan(12));
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private AnvilChain _chain = null!;
    private TransactionSender _sender = null!;
    private Broadcaster _broadcaster = null!;

    public async Task InitializeAsync()
    {
        _chain = await AnvilChain.StartAsync();
        _sender = new TransactionSender(_chain.Rpc);
        _broadcaster = new Broadcaster(_sender, _clock, ResendAfter);
    }

    public async Task DisposeAsync() => await _chain.DisposeAsync();

    [Fact]
    public async Task SendAll_ManyAtOnce_EachAcceptedWithoutItsReceiptThenAllMinedInNonceOrder()
    {
        var txs = await SignTransfersAsync(12, await FeesAsync());

        _broadcaster.SendAll(txs.Take(7).ToList());
        _broadcaster.SendAll(txs.Skip(7).ToList()); // after the first group, in nonce order

        foreach (var tx in txs)
        {
            Assert.Equal(BroadcastState.Accepted, (await TakeOnceEndedAsync(tx.Hash)).State);
            Assert.Equal(BroadcastState.Accepted, _broadcaster.Take(tx.Hash.ToString()).State); // until forgotten
            Assert.False(_broadcaster.Overdue(tx.Hash.ToString()));
        }

        var receipts = await ClusterFixture.EventuallyAsync(
            () => _chain.Rpc.GetTransactionReceiptsAsync(txs.Select(t => t.Hash).ToList()), r => r.All(x => x is not null), "all mined");
        Assert.Equal(txs.Select(t => t.Hash), receipts!.Select(r => r!.TransactionHash));
        Assert.Equal(txs[^1].Nonce + 1, await _chain.Rpc.GetTransactionCountAsync(txs[0].From, "latest"));
        _broadcaster.Forget(txs[0].Hash.ToString());
        Assert.Equal(BroadcastState.Unknown, _broadcaster.Take(txs[0].Hash.ToString()).State);
    }

    [Fact]
    public async Task SendAll_OneRefusedAmongThem_TheOthersAcceptedAndMinedTheRefusedFailed()
    {
        var fees = await FeesAsync();
        var txs = await SignTransfersAsync(8, fees);
        // The last one pays too little: refused alone, the seven before it are not held back.
        txs[^1] = await _sender.SignEip1559Async(_chain.Signer(7), Recipient, [], new FeeEstimate(0, 0), 21_000, txs[^1].Nonce);

        _broadcaster.SendAll(txs);

        foreach (var tx in txs.SkipLast(1))
        {
            Assert.Equal(BroadcastState.Accepted, (await TakeOnceEndedAsync(tx.Hash)).State);
        }

        var (state, _, failure) = await TakeOnceEndedAsync(txs[^1].Hash);
        Assert.Equal(BroadcastState.Failed, state);
        Assert.IsType<TransactionUnderpricedException>(failure);
        var receipts = await ClusterFixture.EventuallyAsync(
            () => _chain.Rpc.GetTransactionReceiptsAsync(txs.SkipLast(1).Select(t => t.Hash).ToList()), r => r.All(x => x is not null), "seven mined");
        Assert.All(receipts!, r => Assert.True(r!.Succeeded));
    }

    [Fact]
    public async Task SendAll_MoreBytesThanOneRequestCarries_SentInSeveralRequestsAndAllMined()
    {
        var trader = _chain.Signer(7);
        var fees = await FeesAsync();
        var nonce = await _chain.Rpc.GetTransactionCountAsync(trader.Address, "pending");
        var calldata = new byte[100_000]; // six of them are more than one batched send carries
        Array.Fill(calldata, (byte)0x5a);
        var txs = new List<SignedTransaction>();
        for (var i = 0; i < 6; i++)
        {
            txs.Add(await _sender.SignEip1559Async(trader, Recipient, calldata, fees, 6_000_000, nonce + (ulong)i)); // above Prague's calldata floor (40 gas a non-zero byte)
        }

        _broadcaster.SendAll(txs);

        foreach (var tx in txs)
        {
            Assert.Equal(BroadcastState.Accepted, (await TakeOnceEndedAsync(tx.Hash)).State);
        }

        var receipts = await ClusterFixture.EventuallyAsync(
            () => _chain.Rpc.GetTransactionReceiptsAsync(txs.Select(t => t.Hash).ToList()), r => r.All(x => x is not null), "all mined");
        Assert.All(receipts!, r => Assert.True(r!.Succeeded));
    }

    [Fact]
    public async Task SendAll_SameBytesAgainOnceMined_MinedWithTheirReceipts()
    {
        var txs = await SignTransfersAsync(3, await FeesAsync());
        _broadcaster.SendAll(txs);
        await ClusterFixture.EventuallyAsync(
            () => _chain.Rpc.GetTransactionReceiptsAsync(txs.Select(t => t.Hash).ToList()), r => r.All(x => x is not null), "mined");

        _broadcaster.SendAll(txs); // after a crash: the same bytes again, answered "nonce too low" and found mined

        foreach (var tx in txs)
        {
            var (state, receipt, _) = await TakeOnceEndedAsync(tx.Hash);
            Assert.Equal(BroadcastState.Mined, state);
            Assert.Equal(tx.Hash, receipt!.TransactionHash);
        }
    }

    [Fact]
    public async Task Send_Alone_MinedWithTheReceiptTheNodeAnsweredWith()
    {
        var tx = (await SignTransfersAsync(1, await FeesAsync()))[0];

        _broadcaster.Send(tx, awaitReceipt: true);

        var (state, receipt, _) = await TakeOnceEndedAsync(tx.Hash);
        Assert.Equal(BroadcastState.Mined, state);
        Assert.Equal(tx.Hash, receipt!.TransactionHash);
        Assert.True(receipt.Succeeded);
    }

    [Fact]
    public async Task Overdue_AcceptedButNeverMined_AfterTheResendDelayAndTheSameBytesAreAcceptedAgain()
    {
        var tx = (await SignTransfersAsync(1, await FeesAsync()))[0];
        await _chain.SetAutomineAsync(false);
        try
        {
            _broadcaster.Send(tx, awaitReceipt: false);
            Assert.Equal(BroadcastState.Accepted, (await TakeOnceEndedAsync(tx.Hash)).State);
            _clock.Advance(ResendAfter - TimeSpan.FromSeconds(1));
            Assert.False(_broadcaster.Overdue(tx.Hash.ToString()));
            _clock.Advance(TimeSpan.FromSeconds(1));
            Assert.True(_broadcaster.Overdue(tx.Hash.ToString()));

            _broadcaster.Send(tx, awaitReceipt: false); // the node still holds it: "already imported" is no failure
            Assert.Equal(BroadcastState.Accepted, (await TakeOnceEndedAsync(tx.Hash)).State);
            Assert.False(_broadcaster.Overdue(tx.Hash.ToString()));
        }
        finally
        {
            await _chain.SetAutomineAsync(true);
        }

        await _chain.MineAsync();
        Assert.NotNull(await _chain.Rpc.GetTransactionReceiptAsync(tx.Hash));
    }

    [Fact]
    public async Task Send_FeeBelowTheBaseFee_FailedWithTheNodesRefusalAndNeverAccepted()
    {
        var tx = (await SignTransfersAsync(1, new FeeEstimate(0, 0)))[0];

        _broadcaster.Send(tx, awaitReceipt: false);

        var (state, _, failure) = await TakeOnceEndedAsync(tx.Hash);
        Assert.Equal(BroadcastState.Failed, state);
        Assert.IsType<TransactionUnderpricedException>(failure);
        Assert.Equal(BroadcastState.Unknown, _broadcaster.Take(tx.Hash.ToString()).State);
        Assert.True(_broadcaster.Overdue(tx.Hash.ToString()));
    }

    private async Task<FeeEstimate> FeesAsync() => await _chain.Rpc.GetFeesAsync();

    private async Task<List<SignedTransaction>> SignTransfersAsync(int count, FeeEstimate fees)
    {
        var trader = _chain.Signer(7);
        var nonce = await _chain.Rpc.GetTransactionCountAsync(trader.Address, "pending");
        var txs = new List<SignedTransaction>();
        for (var i = 0; i < count; i++)
        {
            txs.Add(await _sender.SignEip1559Async(trader, Recipient, [], fees, 21_000, nonce + (ulong)i));
        }

        return txs;
    }

    /// <summary>Takes the broadcast's state once it is no longer sending (the sends run on the thread pool).</summary>
    private async Task<(BroadcastState State, TransactionReceipt? Receipt, Exception? Failure)> TakeOnceEndedAsync(Bytes32 hash)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var taken = _broadcaster.Take(hash.ToString());
            if (taken.State != BroadcastState.Sending || DateTime.UtcNow > deadline)
            {
                return taken;
            }

            await Task.Delay(10);
        }
    }
}
