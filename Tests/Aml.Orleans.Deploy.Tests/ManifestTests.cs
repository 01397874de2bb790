namespace Aml.Orleans.Deploy.Tests;

public sealed class ManifestTests
{
    private static readonly string Base = Path.Combine(Manifests.Root(), "base");

    [Theory]
    [InlineData("base")]
    [InlineData("overlays/dev")]
    [InlineData("overlays/prod")]
    public void SiloDeployment_Rendered_HoldsEveryInvariant(string kustomization) =>
        Assert.Empty(Manifests.Rendered(Path.Combine(Manifests.Root(), kustomization)).SiloViolations());

    [Fact]
    public void ProdOverlay_Rendered_ThreeSilosAtLeastAndAPinnedImage()
    {
        var prod = Manifests.Rendered(Path.Combine(Manifests.Root(), "overlays", "prod"));
        var deployment = prod.Find("Deployment", "aml-silo")!;
        var container = (YamlDotNet.RepresentationModel.YamlMappingNode)((YamlDotNet.RepresentationModel.YamlSequenceNode)Manifests.Node(deployment, "spec", "template", "spec", "containers")!)[0];

        Assert.Equal("3", Manifests.Scalar(deployment, "spec", "replicas"));
        Assert.Equal("3", Manifests.Scalar(prod.Find("HorizontalPodAutoscaler", "aml-silo")!, "spec", "minReplicas"));
        Assert.Equal("ghcr.io/aml/aml-silo:1.0.0", Manifests.Scalar(container, "image"));
        Assert.Equal("aml", Manifests.Scalar(deployment, "metadata", "namespace"));
        Assert.DoesNotContain(prod.OfKind("Secret"), _ => true);
    }

    [Theory]
    [InlineData("maxUnavailable: 0", "maxUnavailable: 1", "maxUnavailable must be 0")]
    [InlineData("terminationGracePeriodSeconds: 90", "terminationGracePeriodSeconds: 30", "must exceed the host's 60 s")]
    [InlineData("runAsNonRoot: true", "runAsNonRoot: false", "non-root")]
    [InlineData("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "read-only")]
    [InlineData("fieldPath: status.podIP", "fieldPath: status.hostIP", "POD_IP")]
    [InlineData("path: /health/ready", "path: /health/live", "readiness")]
    [InlineData("valueFrom: { secretKeyRef: { name: aml-secrets, key: guardian-key } }", "value: \"0xabc\"", "must reference a secret")]
    public void SiloDeployment_Mutated_ViolationReported(string original, string mutated, string expected)
    {
        var directory = Directory.CreateTempSubdirectory("aml-k8s-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(Base))
            {
                var text = File.ReadAllText(file);
                if (Path.GetFileName(file) == "deployment.yaml")
                {
                    Assert.Contains(original, text, StringComparison.Ordinal);
                    var at = text.IndexOf(original, StringComparison.Ordinal);
                    text = text[..at] + mutated + text[(at + original.Length)..];
                }

                File.WriteAllText(Path.Combine(directory, Path.GetFileName(file)), text);
            }

            Assert.Contains(Manifests.Load(directory).SiloViolations(), p => p.Contains(expected, StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Base_PdbHpaRoleAndPolicies_Present()
    {
        var manifests = Manifests.Load(Base);

        Assert.NotNull(manifests.Find("PodDisruptionBudget", "aml-silo"));
        Assert.Equal("2", Manifests.Scalar(manifests.Find("HorizontalPodAutoscaler", "aml-silo")!, "spec", "minReplicas"));
        var role = manifests.Find("Role", "aml-silo")!;
        var verbs = ((YamlDotNet.RepresentationModel.YamlSequenceNode)Manifests.Node((YamlDotNet.RepresentationModel.YamlMappingNode)((YamlDotNet.RepresentationModel.YamlSequenceNode)Manifests.Node(role, "rules")!)[0], "verbs")!)
            .Select(v => v.ToString()).ToList();
        Assert.Equal(["get", "list", "watch", "delete"], verbs);
        var policy = manifests.Find("NetworkPolicy", "aml-silo")!;
        var siloPorts = Manifests.Node((YamlDotNet.RepresentationModel.YamlMappingNode)((YamlDotNet.RepresentationModel.YamlSequenceNode)Manifests.Node(policy, "spec", "ingress")!)[0], "ports")!.ToString();
        Assert.Contains("11111", siloPorts, StringComparison.Ordinal);
        Assert.Contains("30000", siloPorts, StringComparison.Ordinal);
        Assert.DoesNotContain(manifests.OfKind("Secret"), _ => true);
    }

    [Fact]
    public void MigrationJob_RunsTheSiloImageWithMigrateOnly()
    {
        var job = Manifests.Load(Base).Find("Job", "aml-migrate")!;
        var container = (YamlDotNet.RepresentationModel.YamlMappingNode)((YamlDotNet.RepresentationModel.YamlSequenceNode)Manifests.Node(job, "spec", "template", "spec", "containers")!)[0];

        Assert.Equal("ghcr.io/aml/aml-silo:latest", Manifests.Scalar(container, "image"));
        Assert.Equal("[ --migrate-only ]", Manifests.Node(container, "args")!.ToString());
    }

    [Fact]
    public void DevOverlay_PostgresReachableOnlyFromSilosAndTheMigration()
    {
        var dev = Manifests.Rendered(Path.Combine(Manifests.Root(), "overlays", "dev"));
        var policy = dev.Find("NetworkPolicy", "aml-postgres")!;

        var from = Manifests.Node((YamlDotNet.RepresentationModel.YamlMappingNode)((YamlDotNet.RepresentationModel.YamlSequenceNode)Manifests.Node(policy, "spec", "ingress")!)[0], "from")!.ToString();
        Assert.Contains("aml-silo", from, StringComparison.Ordinal);
        Assert.Contains("aml-migrate", from, StringComparison.Ordinal);
        Assert.DoesNotContain(dev.OfKind("Secret"), _ => true);
    }
}
