using Aml.Orleans.Grains.Audit;
using Aml.Orleans.Grains.Chain;
using Npgsql;

namespace Aml.Orleans.Cli;

/// <summary>
/// <c>aml verify &lt;digest | positionId&gt; [--postgres &lt;cs&gt;] [--deployment &lt;file&gt;]</c>: recomputes a recorded decision
/// (every recorded decision of a position) from the outcome and model stores and checks it against the chain
/// (<see cref="DecisionVerifier"/>). Prints one verdict line per check; exits 1 when any check fails.
/// </summary>
internal static class VerifyVerb
{
    /// <summary>The environment variable naming the deployment file (as <c>./aml deploy</c> writes it).</summary>
    public const string DeploymentVariable = "AML_DEPLOYMENT";

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output)
    {
        if (args.Count == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
        {
            throw new UsageException("verify needs a decision digest or a position id (0x + 64 hex digits) first");
        }

        var subject = args[0];
        try
        {
            subject = Ethereum.Bytes32.Parse(subject).ToString();
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new UsageException($"verify: '{subject}' is not a digest or a position id (0x + 64 hex digits)");
        }

        var a = new Arguments(args.Skip(1).ToArray(), ["--postgres", "--deployment"], []);
        var postgres = ModelStoreConnection.Resolve(a.One("--postgres"));
        var deploymentFile = a.One("--deployment") ?? Environment.GetEnvironmentVariable(DeploymentVariable)
                             ?? throw new UsageException($"--deployment <file> (or {DeploymentVariable}) is required: the chain to check against");
        if (!File.Exists(deploymentFile))
        {
            throw new UsageException($"--deployment {deploymentFile}: no such file");
        }

        await using var dataSource = NpgsqlDataSource.Create(postgres);
        using var chain = new ChainContext(Deployment.Load(deploymentFile), Microsoft.Extensions.Options.Options.Create(new OracleOptions()));
        var reader = new DecisionEvidenceReader(dataSource, chain);
        var digests = await reader.ResolveAsync(subject);
        if (digests.Count == 0)
        {
            output.WriteLine($"FAIL decision: {subject} is neither a recorded decision's digest nor a position with recorded decisions");
            return 1;
        }

        var failed = false;
        foreach (var digest in digests)
        {
            output.WriteLine($"decision {digest}");
            foreach (var verdict in DecisionVerifier.Verify(await reader.ReadAsync(digest)))
            {
                output.WriteLine($"  {verdict}");
                failed |= !verdict.Passed;
            }
        }

        output.WriteLine(failed ? "verify: FAILED" : $"verify: all checks passed ({digests.Count} decision{(digests.Count == 1 ? "" : "s")})");
        return failed ? 1 : 0;
    }
}
