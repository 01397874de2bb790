using System.Numerics;
using Aml.Orleans.Ethereum.Abi;
using Aml.Orleans.Ethereum.Rpc;

namespace Aml.Orleans.Ethereum.Tests;

/// <summary>The library against a real anvil and a real contract (Solidity/Probe.sol).</summary>
public sealed class AnvilIntegrationTests(AnvilFixture anvil) : IClassFixture<AnvilFixture>
{
    // No test signs with this address's key, so its balance changes only by the values sent to it.
    private static readonly Address Recipient = new(Keccak.Hash("recipient").AsSpan(12));

    [Fact]
    public async Task SendAsync_SignedEip1559Transfer_SyncPathReceiptWithKnownHash()
    {
        var signer = LocalKeySigner.FromHex(AnvilFixture.DevKeys[1]);
        var sender = new TransactionSender(anvil.Rpc);
        var before = await anvil.Rpc.GetBalanceAsync(Recipient);

        var tx = await sender.SignEip1559Async(signer, Recipient, [], value: 12345);
        var receipt = await sender.SendAndWaitAsync(tx);

        // anvil refuses realtime_sendRawTransaction (-32601) and offers eth_sendRawTransactionSync.
        Assert.Equal("sync", sender.LastPath);
        Assert.Equal(tx.Hash, receipt.TransactionHash);
        Assert.True(receipt.Succeeded);
        Assert.Equal(signer.Address, receipt.From);
        Assert.Equal(before + 12345, await anvil.Rpc.GetBalanceAsync(Recipient));
        var fetched = await anvil.Rpc.GetTransactionReceiptAsync(tx.Hash);
        Assert.Equal(receipt.BlockNumber, fetched!.BlockNumber);
        Assert.True(await anvil.Rpc.GetBlockNumberAsync() >= receipt.BlockNumber);
        Assert.Equal(tx.Nonce + 1, await anvil.Rpc.GetTransactionCountAsync(signer.Address, "pending"));
    }

    [Fact]
    public async Task SendAsync_SyncDisabled_FallsBackToSendAndReceiptPolling()
    {
        var signer = LocalKeySigner.FromHex(AnvilFixture.DevKeys[2]);
        var sender = new TransactionSender(anvil.Rpc, new TransactionSenderOptions { UseSync = false });

        var tx = await sender.SignEip1559Async(signer, Recipient, [], value: 1);
        var receipt = await sender.SendAndWaitAsync(tx);

        Assert.Equal("poll", sender.LastPath);
        Assert.Equal(tx.Hash, receipt.TransactionHash);
        Assert.NotNull(receipt.BlockNumber);

        // Sending the same bytes again is answered from the receipt, not reported as a failure.
        var again = await sender.SendAsync(tx);
        Assert.Equal(receipt.TransactionHash, again.TransactionHash);
    }

    [Fact]
    public async Task Ping_EmitsEvent_ReceiptAndGetLogsDecodeToSameValues()
    {
        var signer = LocalKeySigner.FromHex(AnvilFixture.DevKeys[3]);
        var sender = new TransactionSender(anvil.Rpc);
        var tag = Bytes32.KeccakOf("tag");
        var data = anvil.ProbeAbi.Function("ping").EncodeCall(new BigInteger(42), tag, "héllo");

        var receipt = await sender.SendAndWaitAsync(await sender.SignEip1559Async(signer, anvil.Probe, data));
        var logs = await anvil.Rpc.GetLogsAsync(new LogFilter(anvil.Probe, [anvil.ProbeAbi.Event("Pinged").Topic0],
            Quantity.Encode(receipt.BlockNumber!.Value), Quantity.Encode(receipt.BlockNumber!.Value)));

        var fromReceipt = anvil.ProbeAbi.TryDecodeLog(receipt.Logs.Single().Topics, receipt.Logs.Single().Data)!;
        var fromFilter = anvil.ProbeAbi.TryDecodeLog(logs.Single().Topics, logs.Single().Data)!;
        Assert.Equal("Pinged", fromReceipt.Name);
        Assert.Equal(signer.Address, fromReceipt["sender"]);
        Assert.Equal(new BigInteger(42), fromReceipt["value"]);
        Assert.Equal(tag.ToArray(), (byte[])fromReceipt["tag"]);
        Assert.Equal("héllo", fromReceipt["note"]);
        Assert.Equal(fromReceipt.ToString(), fromFilter.ToString());
    }

    [Fact]
    public async Task EstimateGas_CustomErrorRevert_DecodedNameAndArguments()
    {
        var call = new CallRequest(anvil.Probe, anvil.ProbeAbi.Function("ping").EncodeCall(new BigInteger(101), Bytes32.Zero, ""), anvil.Deployer.Address);

        var revert = await Assert.ThrowsAsync<ExecutionRevertedException>(() => anvil.Rpc.EstimateGasAsync(call));

        Assert.Equal("TooLarge", revert.DecodedError!.Name);
        Assert.Equal(new BigInteger(101), revert.DecodedError["value"]);
        Assert.Equal(new BigInteger(100), revert.DecodedError["limit"]);
    }

    [Fact]
    public async Task Call_RequireMessageAndPanic_DecodedAsErrorStringAndPanicCode()
    {
        var failCall = new CallRequest(anvil.Probe, anvil.ProbeAbi.Function("fail").EncodeCall("margin too thin"));
        var divideCall = new CallRequest(anvil.Probe, anvil.ProbeAbi.Function("divide").EncodeCall(new BigInteger(1), BigInteger.Zero));

        var message = await Assert.ThrowsAsync<ExecutionRevertedException>(() => anvil.Rpc.CallAsync(failCall));
        var panic = await Assert.ThrowsAsync<ExecutionRevertedException>(() => anvil.Rpc.CallAsync(divideCall));

        Assert.Equal("Error(string)", message.DecodedError!.Signature);
        Assert.Equal("margin too thin", message.DecodedError["message"]);
        Assert.Equal("Panic(uint256)", panic.DecodedError!.Signature);
        Assert.Equal(new BigInteger(0x12), panic.DecodedError["code"]);
    }

    [Fact]
    public async Task SendAndWait_MinedTransactionReverts_FailureCarriesDecodedCustomError()
    {
        var signer = LocalKeySigner.FromHex(AnvilFixture.DevKeys[4]);
        var sender = new TransactionSender(anvil.Rpc);
        var data = anvil.ProbeAbi.Function("ping").EncodeCall(new BigInteger(500), Bytes32.Zero, "");

        // A fixed gas limit skips eth_estimateGas, so the transaction is mined and fails on chain.
        var tx = await sender.SignEip1559Async(signer, anvil.Probe, data, gasLimit: 100_000);
        var failure = await Assert.ThrowsAsync<TransactionFailedException>(() => sender.SendAndWaitAsync(tx));

        Assert.False(failure.Receipt.Succeeded);
        Assert.Equal(tx.Hash, failure.Receipt.TransactionHash);
        Assert.Equal("TooLarge(500, 100)", failure.Revert!.DecodedError!.ToString());
    }

    [Fact]
    public async Task SendRawTransaction_UsedNonce_NonceTooLow()
    {
        var signer = LocalKeySigner.FromHex(AnvilFixture.DevKeys[0]);
        var fees = await anvil.Rpc.GetFeesAsync();
        var stale = new Eip1559Transaction(AnvilFixture.ChainId, 0, 0, fees.MaxFeePerGas, 21000, Recipient, 1, []).Sign(signer);

        var error = await Assert.ThrowsAsync<NonceTooLowException>(() => anvil.Rpc.SendRawTransactionAsync(stale.Raw));

        Assert.Equal("eth_sendRawTransaction", error.Method);
    }

    [Fact]
    public async Task SendRawTransaction_MaxFeeBelowBaseFee_Underpriced()
    {
        var signer = LocalKeySigner.FromHex(AnvilFixture.DevKeys[5]);
        var nonce = await anvil.Rpc.GetTransactionCountAsync(signer.Address);
        var fees = await anvil.Rpc.GetFeesAsync();
        Assert.True(fees.BaseFeePerGas > 1);
        var cheap = new Eip1559Transaction(AnvilFixture.ChainId, nonce, 0, 1, 21000, Recipient, 1, []).Sign(signer);

        await Assert.ThrowsAsync<TransactionUnderpricedException>(() => anvil.Rpc.SendRawTransactionAsync(cheap.Raw));
        Assert.Equal(nonce, await anvil.Rpc.GetTransactionCountAsync(signer.Address));
    }

    [Fact]
    public async Task SendAsync_NonceGap_ReportsGapWithAccountNonce()
    {
        // An account of its own, funded here, so the stuck transaction blocks no other test.
        var signer = new LocalKeySigner(Keccak.Hash("nonce-gap-account"));
        var funder = new TransactionSender(anvil.Rpc);
        await funder.SendAndWaitAsync(await funder.SignEip1559Async(anvil.Deployer, signer.Address, [], value: BigInteger.Pow(10, 18)));
        var sender = new TransactionSender(anvil.Rpc, new TransactionSenderOptions { UseSync = false, ReceiptTimeout = TimeSpan.FromSeconds(1) });

        var gapped = await sender.SignEip1559Async(signer, Recipient, [], value: 1, gasLimit: 21000, nonce: 3);
        var gap = await Assert.ThrowsAsync<NonceGapException>(() => sender.SendAsync(gapped));

        Assert.Equal(3UL, gap.TransactionNonce);
        Assert.Equal(0UL, gap.AccountNonce);
        Assert.Equal(gapped.Hash, gap.TransactionHash);
    }

    [Fact]
    public async Task RiskDecision_SignedInCSharp_VerifiesOnChainWithEcrecover()
    {
        var oracle = LocalKeySigner.FromHex(AnvilFixture.DevKeys[2]);
        var decision = SampleDecision(1);
        var domain = Eip712Domain.MarginManager(AnvilFixture.ChainId, anvil.Probe);
        var digest = decision.Digest(domain);
        var signature = oracle.SignHash(digest);

        var onChainDigest = await Call<byte[]>("decisionDigest", [decision.ToAbiValue()]);
        var recovered = await Call<Address>("recoverDecisionSigner", decision.ToAbiValue(), signature.ToCompact());

        Assert.Equal(digest, onChainDigest);
        Assert.Equal(oracle.Address, recovered);
    }

    [Fact]
    public async Task DecisionList_QuorumBuiltInCSharp_AcceptedByOnChainQuorumRule()
    {
        var keys = AnvilFixture.DevKeys[1..6].Select(LocalKeySigner.FromHex).ToArray();
        var signerSet = keys.Select(k => k.Address).ToArray();
        var list = new DecisionList(7, 1_900_000_000, [SampleDecision(1), SampleDecision(2), SampleDecision(3)]);
        var digest = list.Digest(Eip712Domain.MarginManager(AnvilFixture.ChainId, anvil.Probe));

        // Signers 4, 1 and 2 answer (in that order); the quorum must come out in ascending index order.
        var quorum = await QuorumBuilder.SignAsync(signerSet, [keys[4], keys[1], keys[2]], 3, digest);
        var decisions = list.Decisions.Select(d => (object)d.ToAbiValue()).ToArray();

        Assert.Equal(digest, await Call<byte[]>("batchDigest", list.BatchNonce, list.ValidUntil, decisions));
        Assert.Equal(new BigInteger(0b10110), quorum.SignerBitmap);
        Assert.True(await Call<bool>("verifyQuorum", digest, signerSet.Cast<object>().ToArray(), (byte)3, quorum.SignerBitmap, quorum.Signatures));

        var swapped = quorum.Signatures[64..128].Concat(quorum.Signatures[..64]).Concat(quorum.Signatures[128..]).ToArray();
        var revert = await Assert.ThrowsAsync<ExecutionRevertedException>(
            () => Call<bool>("verifyQuorum", digest, signerSet.Cast<object>().ToArray(), (byte)3, quorum.SignerBitmap, swapped));
        Assert.Equal("NotSigned", revert.DecodedError!.Name);
    }

    [Fact]
    public async Task MarginManagerClient_ProbeWithSameSignatures_SignersThresholdAndDigestsMatch()
    {
        var keys = AnvilFixture.DevKeys[1..6].Select(LocalKeySigner.FromHex).ToArray();
        var client = new MarginManagerClient(anvil.Rpc, anvil.Probe);
        var sender = new TransactionSender(anvil.Rpc);
        var setSigners = MarginManagerAbi.Function("setSigners").EncodeCall(keys.Select(k => (object)k.Address).ToArray(), (byte)3);
        await client.SendAsync(sender, anvil.Deployer, setSigners);
        var list = new DecisionList(8, 1_900_000_000, [SampleDecision(4), SampleDecision(5)]);
        var domain = await client.GetDomainAsync();

        var signers = await client.GetSignersAsync();
        var threshold = await client.GetThresholdAsync();

        Assert.Equal(keys.Select(k => k.Address), signers);
        Assert.Equal(3, threshold);
        Assert.Equal(new Bytes32(list.Decisions[0].Digest(domain)), await client.GetDecisionDigestAsync(list.Decisions[0]));
        Assert.Equal(new Bytes32(list.Digest(domain)), await client.GetBatchDigestAsync(list));

        // The quorum is built from the signer set as read from the chain, then checked by the on-chain rule.
        var digest = list.Digest(domain);
        var quorum = await QuorumBuilder.SignAsync(signers, keys, threshold, digest);
        Assert.True(await Call<bool>("verifyQuorum", digest, signers.Cast<object>().ToArray(), threshold, quorum.SignerBitmap, quorum.Signatures));
    }

    [Fact]
    public async Task NonceTracker_BackToBackSendsWithoutWaiting_ConsecutiveNoncesAllMined()
    {
        var signer = new LocalKeySigner(Keccak.Hash("nonce-tracker-account"));
        var funder = new TransactionSender(anvil.Rpc);
        await funder.SendAndWaitAsync(await funder.SignEip1559Async(anvil.Deployer, signer.Address, [], value: BigInteger.Pow(10, 18)));
        var tracker = new NonceTracker(anvil.Rpc, signer.Address);
        var sender = new TransactionSender(anvil.Rpc, new TransactionSenderOptions { UseSync = false });

        var sent = new List<SignedTransaction>();
        for (var i = 0; i < 5; i++)
        {
            var tx = await sender.SignEip1559Async(signer, Recipient, [], value: 1, gasLimit: 21000, nonce: await tracker.NextAsync());
            Assert.Equal(tx.Hash, await anvil.Rpc.SendRawTransactionAsync(tx.Raw));
            sent.Add(tx);
        }

        foreach (var tx in sent)
        {
            Assert.True((await sender.WaitForReceiptAsync(tx)).Succeeded);
        }

        Assert.Equal([0UL, 1, 2, 3, 4], sent.Select(t => t.Nonce));
        await tracker.ResyncAsync();
        Assert.Equal(5UL, await tracker.NextAsync());
    }

    [Fact]
    public async Task SubscribeLogsAndNewHeads_TransactionMined_BothNotificationsArrive()
    {
        await using var ws = await WebSocketRpcClient.ConnectAsync(anvil.WebSocketUrl);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var pinged = anvil.ProbeAbi.Event("Pinged");
        var logs = await ws.SubscribeLogsAsync(new LogFilter(anvil.Probe), timeout.Token);
        var heads = await ws.SubscribeNewHeadsAsync(timeout.Token);

        var signer = LocalKeySigner.FromHex(AnvilFixture.DevKeys[3]);
        var sender = new TransactionSender(anvil.Rpc);
        var data = anvil.ProbeAbi.Function("ping").EncodeCall(new BigInteger(7), Bytes32.KeccakOf("ws"), "over websocket");
        var receipt = await sender.SendAndWaitAsync(await sender.SignEip1559Async(signer, anvil.Probe, data));

        await using var logReader = logs.GetAsyncEnumerator(timeout.Token);
        Assert.True(await logReader.MoveNextAsync());
        var log = logReader.Current;
        Assert.Equal(receipt.TransactionHash, log.TransactionHash);
        Assert.Equal("over websocket", pinged.Decode(log.Topics, log.Data)["note"]);

        await using var headReader = heads.GetAsyncEnumerator(timeout.Token);
        Assert.True(await headReader.MoveNextAsync());
        Assert.Equal(receipt.BlockNumber, headReader.Current.Number);
        Assert.Equal(AnvilFixture.ChainId, Quantity.DecodeUInt64(await ws.RequestAsync("eth_chainId", [], timeout.Token), "chainId"));
    }

    private async Task<T> Call<T>(string function, params object?[] arguments)
    {
        var abiFunction = anvil.ProbeAbi.Function(function);
        var output = await anvil.Rpc.CallAsync(new CallRequest(anvil.Probe, abiFunction.EncodeCall(arguments)));
        return (T)abiFunction.DecodeOutput(output)[0];
    }

    private static RiskDecision SampleDecision(int i) => new(
        DecisionKind.Liquidate, Bytes32.KeccakOf($"pos-{i}"), Bytes32.KeccakOf("ETH-USD"), Recipient, i % 2 == 0,
        1_000_000_000, 10_000_000_000, 1000, 500, 10000, (ushort)(8000 + i), UInt128.Parse("3000123456789000000000", System.Globalization.CultureInfo.InvariantCulture),
        1_763_900_000, (ulong)i, 1_900_000_000, Bytes32.KeccakOf("model-v1"), Bytes32.KeccakOf($"features-{i}"));
}
