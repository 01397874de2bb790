using Aml.Orleans.Ethereum;
using Aml.Orleans.Grains.Audit;
using Aml.Orleans.Grains.Interfaces;
using Npgsql;
using PositionStatus = Aml.Orleans.Grains.Interfaces.PositionStatus;

namespace Aml.Orleans.Grains.Tests.Chain;

/// <summary>
/// <c>aml verify</c> on a real decision: quoted by the risk models, signed by the trader and the quorum, landed on the
/// real contract on anvil; then the same evidence with one part tampered with fails, naming that check.
/// </summary>
[Collection(ChainClusterCollection.Name)]
public sealed class VerifyTests(ChainClusterFixture fixture)
{
    private const string Asset = "BTC-USD";
    private static readonly SemaphoreSlim OpenOnce = new(1, 1);
    private static (string PositionId, string Digest)? _opened;

    [Fact]
    public async Task Verify_ARealOpenByDigestAndByPosition_EveryCheckPassesAndExitsZero()
    {
        var (positionId, digest) = await OpenedAsync();
        var byDigest = new StringWriter();
        var byPosition = new StringWriter();

        var digestExit = Cli.Program.Run(["verify", digest, "--postgres", fixture.Database.ConnectionString, "--deployment", fixture.Chain.DeploymentFile], byDigest, TextWriter.Null);
        var positionExit = Cli.Program.Run(["verify", positionId, "--postgres", fixture.Database.ConnectionString, "--deployment", fixture.Chain.DeploymentFile], byPosition, TextWriter.Null);

        Assert.True(digestExit == 0, byDigest.ToString());
        Assert.Equal(0, positionExit);
        foreach (var check in DecisionVerifier.Checks)
        {
            Assert.Contains($"  PASS {check}: ", byDigest.ToString(), StringComparison.Ordinal);
        }

        Assert.Contains($"decision {digest}", byPosition.ToString(), StringComparison.Ordinal);
        Assert.EndsWith("verify: all checks passed (1 decision)" + Environment.NewLine, byDigest.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("features")]
    [InlineData("model")]
    [InlineData("signatures")]
    [InlineData("signer set")]
    [InlineData("digest")]
    public async Task Verify_OnePartTamperedWith_FailsNamingThatCheck(string tampered)
    {
        var (_, digest) = await OpenedAsync();
        var real = await ReadAsync(digest);
        Assert.All(DecisionVerifier.Verify(real), v => Assert.True(v.Passed, v.ToString()));

        var evidence = tampered switch
        {
            "features" => real with { Outcome = real.Outcome! with { Inputs = real.Outcome.Inputs! with { FeatureBytes = Flipped(real.Outcome.Inputs.FeatureBytes, 7) } } },
            "model" => real with { Models = TestModels.TrainBtc(trees: 5) },
            "signatures" => real with { Calldata = WithQuorumSignatureFlipped(real.Calldata!) },
            "signer set" => real with { ChainSigners = [.. real.ChainSigners.Select((s, i) => i == 0 ? fixture.Chain.Signer(9).Address : s)] },
            "digest" => TamperedDecision(real),
            _ => throw new ArgumentOutOfRangeException(nameof(tampered)),
        };
        var verdicts = DecisionVerifier.Verify(evidence);

        var failed = verdicts.Single(v => v.Check == tampered);
        Assert.False(failed.Passed, failed.ToString());
        Assert.True(verdicts.Single(v => v.Check == "decision").Passed);
        var untouched = tampered switch
        {
            "features" => new[] { "model", "digest", "transaction", "signatures", "signer set", "model registered" },
            "model" => ["features", "digest", "transaction", "signatures", "signer set", "model registered"],
            "signatures" => ["features", "model", "recompute", "digest", "transaction"],
            "signer set" => ["features", "model", "recompute", "digest", "transaction", "signatures", "model registered"],
            _ => ["features", "model", "recompute", "model registered"], // the transaction no longer carries the decision either
        };
        Assert.All(verdicts.Where(v => untouched.Contains(v.Check)), v => Assert.True(v.Passed, v.ToString()));
    }

    [Fact]
    public async Task Verify_AFeatureByteAlteredInTheOutcomeStore_CliFailsOnFeaturesAndExitsOne()
    {
        var (positionId, digest) = await OpenedAsync(fresh: true);
        await using (var connection = new NpgsqlConnection(fixture.Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var update = new NpgsqlCommand(
                "UPDATE aml_decision_outcome SET feature_bytes = set_byte(feature_bytes, 3, get_byte(feature_bytes, 3) # 1) WHERE decision_digest = $1", connection);
            update.Parameters.AddWithValue(Hex.Decode(digest));
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        var output = new StringWriter();
        var exit = Cli.Program.Run(["verify", positionId, "--postgres", fixture.Database.ConnectionString, "--deployment", fixture.Chain.DeploymentFile], output, TextWriter.Null);

        Assert.Equal(1, exit);
        Assert.Contains("  FAIL features: keccak256 of the stored feature bytes is ", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("  PASS digest: ", output.ToString(), StringComparison.Ordinal);
        Assert.EndsWith("verify: FAILED" + Environment.NewLine, output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_ALiquidationOfAQuotedPosition_RestsOnItsOpenAndPassesEveryCheck()
    {
        var (positionId, openDigest) = await OpenedAsync(fresh: true, isLong: true);
        var position = fixture.Client.GetGrain<IPositionGrain>(positionId);
        var open = (await position.GetSnapshotAsync())!;
        await fixture.MoveMarketAsync(Asset, open.LiquidationPriceE8 - open.LiquidationPriceE8 / 100); // a crash past the band, confirmed
        // The oracle's audit names the LIQUIDATE once it landed (whichever of the position or its book shard decided it).
        var liquidation = await ClusterFixture.EventuallyAsync(() => fixture.Database.ScalarAsync<byte[]>(
            "SELECT coalesce((SELECT decision_digest FROM aml_audit_decision WHERE position_id = @id AND kind = 'LIQUIDATE' AND status = 'APPLIED' " +
            "ORDER BY created_at LIMIT 1), ''::bytea)", ("id", positionId)), d => d.Length == 32, "a LIQUIDATE applied on-chain", seconds: 30);
        var digest = Hex.Encode(liquidation);
        await fixture.MoveMarketAsync(Asset, 47_000_00000000);

        var real = await ReadAsync(digest);
        var verdicts = DecisionVerifier.Verify(real);
        var byPosition = new StringWriter();
        var exit = Cli.Program.Run(["verify", positionId, "--postgres", fixture.Database.ConnectionString, "--deployment", fixture.Chain.DeploymentFile], byPosition, TextWriter.Null);

        Assert.All(verdicts, v => Assert.True(v.Passed, v.ToString()));
        Assert.Equal(openDigest, real.Terms!.SetBy.Digest);
        Assert.Contains($"it enforces the terms of OPEN {openDigest}", verdicts[0].Detail, StringComparison.Ordinal);
        Assert.True(exit == 0, byPosition.ToString());
        Assert.Contains($"decision {openDigest}", byPosition.ToString(), StringComparison.Ordinal);
        Assert.Contains($"decision {digest}", byPosition.ToString(), StringComparison.Ordinal);
        Assert.Contains("verify: all checks passed (", byPosition.ToString(), StringComparison.Ordinal);

        // With no recorded decision behind its terms it is not verified; with another score than its OPEN's it does not recompute.
        Assert.False(DecisionVerifier.Verify(real with { Terms = null }).Single(v => v.Check == "decision").Passed);
        var otherScore = real.Outcome!.Decision with { RiskScoreBps = (ushort)(real.Outcome.Decision.RiskScoreBps + 1) };
        var recompute = DecisionVerifier.Verify(real with { Outcome = real.Outcome with { Decision = otherScore } }).Single(v => v.Check == "recompute");
        Assert.False(recompute.Passed, recompute.ToString());
    }

    [Fact]
    public async Task Liquidation_DeepPastTheBand_TheOpensOutcomeSettledWithTheLiquidationsPriceAsItsFill()
    {
        var (positionId, openDigest) = await OpenedAsync(fresh: true, isLong: true);
        var open = (await fixture.Client.GetGrain<IPositionGrain>(positionId).GetSnapshotAsync())!;
        var crash = open.LiquidationPriceE8 * 8 / 10; // far enough for the whole position to go at once

        await fixture.MoveMarketAsync(Asset, crash);

        // Whichever decided it (the book shard, before the position hears of it, or the position), the fill is known:
        // the decision's own price, carried by the chain event when the position did not send it.
        var settled = await ClusterFixture.EventuallyAsync(() => fixture.Database.ScalarAsync<string>(
            "SELECT coalesce((SELECT final_status || ' ' || coalesce(fill_price_e8::text, 'none') FROM aml_decision_outcome " +
            "WHERE decision_digest = @digest AND final_status IS NOT NULL), '')", ("digest", Hex.Decode(openDigest))),
            row => row.Length > 0, "the OPEN's outcome settled", seconds: 60);
        await fixture.MoveMarketAsync(Asset, 47_000_00000000);

        Assert.Equal($"{PositionStatus.Liquidated} {crash}", settled, ignoreCase: true);
    }

    private async Task<DecisionEvidence> ReadAsync(string digest)
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.Database.ConnectionString);
        using var chain = Context();
        return await new DecisionEvidenceReader(dataSource, chain).ReadAsync(digest);
    }

    private global::Aml.Orleans.Grains.Chain.ChainContext Context() =>
        new(fixture.Chain.Deployment, Microsoft.Extensions.Options.Options.Create(new global::Aml.Orleans.Grains.Chain.OracleOptions()));

    // A decision whose fields no longer hash to the digest it is stored under (a day more of validity).
    private DecisionEvidence TamperedDecision(DecisionEvidence real)
    {
        var decision = real.Outcome!.Decision with { ValidUntil = real.Outcome.Decision.ValidUntil + 86_400 };
        using var chain = Context();
        return real with { Outcome = real.Outcome with { Decision = decision }, ChainDecision = chain.ToChain(decision) };
    }

    private static byte[] Flipped(byte[] bytes, int at)
    {
        var copy = bytes.ToArray();
        copy[at] ^= 1;
        return copy;
    }

    // The same openPositionFor call with one bit of the quorum's first signature's r flipped.
    private static byte[] WithQuorumSignatureFlipped(byte[] calldata)
    {
        var function = MarginManagerAbi.Function("openPositionFor");
        var values = function.DecodeCall(calldata);
        var quorum = Quorum.FromAbiValue(values[1]);
        return function.EncodeCall(values[0], new Quorum(quorum.SignerBitmap, Flipped(quorum.Signatures, 5)).ToAbiValue(), values[2]);
    }

    // One position opened through the quote path for the class (a fresh one when a test alters its rows), landed.
    private async Task<(string PositionId, string Digest)> OpenedAsync(bool fresh = false, bool isLong = false)
    {
        await OpenOnce.WaitAsync();
        try
        {
            if (_opened is { } opened && !fresh)
            {
                return opened;
            }

            await fixture.EnsureFeaturesAsync(Asset);
            await fixture.MoveMarketAsync(Asset, 47_000_00000000);
            var trader = fixture.Chain.Signer(8);
            var positionId = ChainClusterFixture.NewPositionId();
            var position = fixture.Client.GetGrain<IPositionGrain>(positionId);
            var quote = await fixture.Client.GetGrain<IQuoteGrain>(0).QuoteAsync(positionId, new QuoteRequest(trader.Address.ToString(), Asset, isLong, 400_000_000, 400));
            Assert.True(quote.Accepted, quote.Reason);
            var result = await position.OpenAsync(new OpenPositionCommand(quote.Decision!, quote.Digest!, Hex.Encode(trader.SignHash(Hex.Decode(quote.Digest!)).ToRsv()), quote.Inputs));
            Assert.True(result.Accepted, result.Reason);
            await ClusterFixture.EventuallyAsync(position.GetSnapshotAsync, s => s is { Status: PositionStatus.Open }, "open on chain");
            await ClusterFixture.EventuallyAsync(() => fixture.Oracle.GetAuditAsync(quote.Digest!), a => a is { TransactionHash: not null, Status: SubmissionStatus.Applied }, "audited with its transaction");
            var landed = (positionId, quote.Digest!);
            if (!fresh)
            {
                _opened = landed;
            }

            return landed;
        }
        finally
        {
            OpenOnce.Release();
        }
    }
}
