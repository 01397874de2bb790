using YamlDotNet.RepresentationModel;

namespace Aml.Orleans.Deploy.Tests;

/// <summary>
/// The manifests as Debian's <c>kubectl kustomize</c> renders them (what <c>kubectl apply -k</c> would send), checked
/// for the invariants the silos depend on; each check is shown to catch a mutated copy of the base.
/// </summary>
public sealed class ManifestTests
{
    public static TheoryData<string> Kustomizations => new() { "base", "overlays/dev", "overlays/prod" };

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Rendered_EveryObjectValidAndEveryReferenceResolves(string kustomization)
    {
        var rendered = Manifests.Rendered(Path.Combine(Manifests.Root(), kustomization));

        Assert.NotEmpty(rendered.Documents);
        Assert.Empty(rendered.SchemaViolations());
        Assert.Empty(rendered.ReferenceViolations());
        Assert.DoesNotContain(rendered.OfKind("Secret"), _ => true);
    }

    [Theory]
    [InlineData("base")]
    [InlineData("overlays/dev")]
    [InlineData("overlays/prod")]
    public void SiloDeployment_Rendered_HoldsEveryInvariant(string kustomization)
    {
        var rendered = Manifests.Rendered(Path.Combine(Manifests.Root(), kustomization));

        Assert.Empty(rendered.SiloViolations());
        Assert.Empty(rendered.TraderServiceViolations());
    }

    [Theory]
    [InlineData("overlays/dev", "aml-dev", new[] { "ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Job", "NetworkPolicy", "PodDisruptionBudget", "Role", "RoleBinding", "Service", "ServiceAccount", "StatefulSet" })]
    [InlineData("overlays/prod", "aml", new[] { "ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Job", "NetworkPolicy", "PodDisruptionBudget", "Role", "RoleBinding", "Service", "ServiceAccount" })]
    public void Overlay_Rendered_ItsKindsAllInItsNamespace(string overlay, string ns, string[] kinds)
    {
        var rendered = Manifests.Rendered(Path.Combine(Manifests.Root(), overlay));

        Assert.Equal(kinds, rendered.Documents.Select(d => Manifests.Scalar(d, "kind")!).Distinct().Order(StringComparer.Ordinal));
        Assert.All(rendered.Documents, d => Assert.Equal(ns, Manifests.Scalar(d, "metadata", "namespace")));
        Assert.All(rendered.Documents, d => Assert.Equal("aml", Manifests.Scalar(d, "metadata", "labels", "app.kubernetes.io/part-of")));
    }

    [Fact]
    public void Monitoring_RenderedBesideProd_ScrapesTheSiloPodsAndEveryDashboardQueryParses()
    {
        var monitoring = Manifests.Rendered(Path.Combine(Manifests.Root(), "monitoring"));
        var applied = monitoring.With(Manifests.Rendered(Path.Combine(Manifests.Root(), "overlays", "prod")));

        Assert.Empty(monitoring.SchemaViolations());
        Assert.Empty(applied.ReferenceViolations());
        Assert.Equal("app.kubernetes.io/name", Manifests.Scalar(monitoring.Find("PodMonitor", "aml-silo")!, "spec", "jobLabel")); // job="aml-silo" in the rules
        var dashboard = monitoring.Find("ConfigMap", "aml-grafana-dashboard")!;
        Assert.Equal("1", Manifests.Scalar(dashboard, "metadata", "labels", "grafana_dashboard"));
        var rules = Manifests.Scalar(monitoring.Find("ConfigMap", "aml-prometheus-rules")!, "data", "aml.rules.yaml");
        Assert.Equal(File.ReadAllText(Path.Combine(Manifests.Root(), "monitoring", "rules", "aml.rules.yaml")), rules);

        var queries = Dashboard.Queries(Manifests.Scalar(dashboard, "data", "aml.json")!);
        Assert.True(queries.Count >= 12, $"{queries.Count} dashboard queries");
        Assert.Empty(Dashboard.Unparsable(queries));
    }

    [Fact]
    public void Dashboard_BrokenQuery_Reported() =>
        Assert.Single(Dashboard.Unparsable(["sum(rate(aml_ticks_total[5m]))", "sum by (le (rate(aml_decision_latency_milliseconds_bucket[5m]))"]));

    [Fact]
    public void ProdOverlay_Rendered_ThreeSilosAtLeastAndAPinnedImage()
    {
        var prod = Manifests.Rendered(Path.Combine(Manifests.Root(), "overlays", "prod"));
        var deployment = prod.Find("Deployment", "aml-silo")!;
        var container = (YamlMappingNode)((YamlSequenceNode)Manifests.Node(deployment, "spec", "template", "spec", "containers")!)[0];

        Assert.Equal("3", Manifests.Scalar(deployment, "spec", "replicas"));
        Assert.Equal("3", Manifests.Scalar(prod.Find("HorizontalPodAutoscaler", "aml-silo")!, "spec", "minReplicas"));
        Assert.Equal("20", Manifests.Scalar(prod.Find("HorizontalPodAutoscaler", "aml-silo")!, "spec", "maxReplicas"));
        Assert.Equal("4Gi", Manifests.Scalar(container, "resources", "requests", "memory"));
        Assert.Equal("ghcr.io/aml/aml-silo:1.0.0", Manifests.Scalar(container, "image"));
    }

    [Theory]
    [InlineData("deployment.yaml", "maxUnavailable: 0", "maxUnavailable: 1", "maxUnavailable must be 0")]
    [InlineData("deployment.yaml", "terminationGracePeriodSeconds: 90", "terminationGracePeriodSeconds: 30", "must exceed the host's 60 s")]
    [InlineData("deployment.yaml", "runAsNonRoot: true", "runAsNonRoot: false", "non-root")]
    [InlineData("deployment.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "read-only")]
    [InlineData("deployment.yaml", "fieldPath: status.podIP", "fieldPath: status.hostIP", "POD_IP")]
    [InlineData("deployment.yaml", "path: /health/ready", "path: /health/live", "readiness")]
    [InlineData("deployment.yaml", "valueFrom: { secretKeyRef: { name: aml-secrets, key: guardian-key } }", "value: \"0xabc\"", "must reference a secret")]
    [InlineData("deployment.yaml", "terminationGracePeriodSeconds: 90", "terminationGracePeriodSecond: 90", "not a valid apps/v1 Deployment")]
    [InlineData("deployment.yaml", "replicas: 2", "replicas: two", "not a valid apps/v1 Deployment")]
    [InlineData("deployment.yaml", "          image: ghcr.io/aml/aml-silo:latest\n", "", "needs a name and an image")]
    [InlineData("services.yaml", "targetPort: http", "targetPort: htp", "targetPort htp is no named port")]
    [InlineData("services.yaml", "app.kubernetes.io/name: aml-silo", "app.kubernetes.io/name: aml-sil0", "selects no pod template")]
    [InlineData("deployment.yaml", "port: http }\n            periodSeconds: 5", "port: web }\n            periodSeconds: 5", "readinessProbe port web")]
    [InlineData("hpa.yaml", "kind: Deployment, name: aml-silo", "kind: Deployment, name: aml-silos", "scale target does not exist")]
    [InlineData("role.yaml", "  name: aml-silo\nsubjects:", "  name: aml-reader\nsubjects:", "role does not exist")]
    [InlineData("deployment.yaml", "name: aml-config", "name: aml-konfig", "no ConfigMap aml-konfig")]
    public void Base_Mutated_ViolationReported(string file, string original, string mutated, string expected)
    {
        var problems = RenderMutatedBase((file, original, mutated));

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{ name: admin, port: 8082, targetPort: admin }", "admin")]
    [InlineData("{ name: ops, port: 9000, targetPort: 8082 }", "8082")] // by number: the same port under another name
    public void Base_AdminPortOnTheTraderService_ViolationReported(string servicePort, string named)
    {
        var problems = RenderMutatedBase(
            ("services.yaml", "{ name: http, port: 8081, targetPort: http }", "{ name: http, port: 8081, targetPort: http }\n    - " + servicePort));

        Assert.Contains(problems, p => p.Contains($"exposes the silo's admin port {named} to traders", StringComparison.Ordinal));
    }

    [Fact]
    public void Base_Rendered_SiloHasTheAdminPortThePodMonitorScrapesAndTheTraderServiceLacks()
    {
        var applied = Manifests.Rendered(Path.Combine(Manifests.Root(), "monitoring")).With(Manifests.Rendered(Path.Combine(Manifests.Root(), "overlays", "prod")));
        var silo = applied.Find("Deployment", "aml-silo")!;
        var container = (YamlMappingNode)((YamlSequenceNode)Manifests.Node(silo, "spec", "template", "spec", "containers")!)[0];
        var endpoint = (YamlMappingNode)((YamlSequenceNode)Manifests.Node(applied.Find("PodMonitor", "aml-silo")!, "spec", "podMetricsEndpoints")!)[0];

        var ports = ((YamlSequenceNode)Manifests.Node(container, "ports")!).Cast<YamlMappingNode>();
        Assert.Contains(ports, p => Manifests.Scalar(p, "name") == "admin" && Manifests.Scalar(p, "containerPort") == "8082");
        Assert.Equal("admin", Manifests.Scalar(endpoint, "port"));
        Assert.Empty(applied.TraderServiceViolations());
    }

    [Fact]
    public void Base_RoleLeastPrivilegeAndSiloPortsBetweenSilosOnly()
    {
        var manifests = Manifests.Rendered(Path.Combine(Manifests.Root(), "base"));

        Assert.NotNull(manifests.Find("PodDisruptionBudget", "aml-silo"));
        Assert.Equal("2", Manifests.Scalar(manifests.Find("HorizontalPodAutoscaler", "aml-silo")!, "spec", "minReplicas"));
        var role = manifests.Find("Role", "aml-silo")!;
        var verbs = ((YamlSequenceNode)Manifests.Node((YamlMappingNode)((YamlSequenceNode)Manifests.Node(role, "rules")!)[0], "verbs")!)
            .Select(v => v.ToString()).ToList();
        Assert.Equal(["get", "list", "watch", "delete"], verbs);
        var policy = manifests.Find("NetworkPolicy", "aml-silo")!;
        var siloPorts = Manifests.Node((YamlMappingNode)((YamlSequenceNode)Manifests.Node(policy, "spec", "ingress")!)[0], "ports")!.ToString();
        Assert.Contains("11111", siloPorts, StringComparison.Ordinal);
        Assert.Contains("30000", siloPorts, StringComparison.Ordinal);
    }

    [Fact]
    public void MigrationJob_RunsTheSiloImageWithMigrateOnly()
    {
        var job = Manifests.Rendered(Path.Combine(Manifests.Root(), "base")).Find("Job", "aml-migrate")!;
        var container = (YamlMappingNode)((YamlSequenceNode)Manifests.Node(job, "spec", "template", "spec", "containers")!)[0];

        Assert.Equal("ghcr.io/aml/aml-silo:latest", Manifests.Scalar(container, "image"));
        Assert.Equal("[ --migrate-only ]", Manifests.Node(container, "args")!.ToString());
    }

    [Fact]
    public void DevOverlay_PostgresReachableOnlyFromSilosAndTheMigration()
    {
        var dev = Manifests.Rendered(Path.Combine(Manifests.Root(), "overlays", "dev"));
        var policy = dev.Find("NetworkPolicy", "aml-postgres")!;

        var from = Manifests.Node((YamlMappingNode)((YamlSequenceNode)Manifests.Node(policy, "spec", "ingress")!)[0], "from")!.ToString();
        Assert.Contains("aml-silo", from, StringComparison.Ordinal);
        Assert.Contains("aml-migrate", from, StringComparison.Ordinal);
        Assert.Equal("aml-silo:dev", Manifests.Scalar((YamlMappingNode)((YamlSequenceNode)Manifests.Node(dev.Find("Deployment", "aml-silo")!, "spec", "template", "spec", "containers")!)[0], "image"));
    }

    /// <summary>The base copied with each (file, original, mutated) replacement applied, rendered by kubectl and checked.</summary>
    private static List<string> RenderMutatedBase(params (string File, string Original, string Mutated)[] mutations)
    {
        var directory = Directory.CreateTempSubdirectory("aml-k8s-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(Path.Combine(Manifests.Root(), "base")))
            {
                var text = File.ReadAllText(file);
                foreach (var (name, original, mutated) in mutations.Where(m => m.File == Path.GetFileName(file)))
                {
                    var at = text.IndexOf(original, StringComparison.Ordinal);
                    Assert.True(at >= 0, $"{name} does not contain '{original}'");
                    text = text[..at] + mutated + text[(at + original.Length)..];
                }

                File.WriteAllText(Path.Combine(directory, Path.GetFileName(file)), text);
            }

            var rendered = Manifests.Rendered(directory);
            return [.. rendered.SchemaViolations(), .. rendered.ReferenceViolations(), .. rendered.SiloViolations(), .. rendered.TraderServiceViolations()];
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
