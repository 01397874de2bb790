using YamlDotNet.RepresentationModel;

namespace Aml.Orleans.Deploy.Tests;

/// <summary>
/// The objects a kustomization renders to, as YAML trees, and the invariants the cluster depends on. Each check
/// returns what is wrong, so a test can show a mutated manifest being caught.
/// </summary>
internal sealed partial class Manifests
{
    private readonly List<YamlMappingNode> _documents;
    private readonly List<string> _texts;

    private Manifests(List<string> texts)
    {
        _texts = texts;
        _documents = texts.Select(t =>
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(t));
            return (YamlMappingNode)stream.Documents[0].RootNode;
        }).ToList();
    }

    /// <summary>A kustomization (an overlay, the base, monitoring) as the real <c>kubectl kustomize</c> renders it.</summary>
    public static Manifests Rendered(string kustomizationDirectory) =>
        new(DocumentSeparator().Split(DebianTools.Kustomize(kustomizationDirectory)).Where(t => t.Trim().Length > 0).ToList());

    [System.Text.RegularExpressions.GeneratedRegex("^---$", System.Text.RegularExpressions.RegexOptions.Multiline)]
    private static partial System.Text.RegularExpressions.Regex DocumentSeparator();

    /// <summary>The repository's k8s folder.</summary>
    public static string Root() => Path.Combine(RepositoryRoot(), "k8s");

    /// <summary>The folder holding Aml.Orleans.sln above the test binaries.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Aml.Orleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("no Aml.Orleans.sln above the test binaries");
    }

    /// <summary>These objects and <paramref name="other"/>'s, as when both are applied to one namespace.</summary>
    public Manifests With(Manifests other) => new([.. _texts, .. other._texts]);

    /// <summary>Every rendered object.</summary>
    public IReadOnlyList<YamlMappingNode> Documents => _documents;

    public YamlMappingNode? Find(string kind, string name) =>
        _documents.FirstOrDefault(d => Scalar(d, "kind") == kind && Scalar(d, "metadata", "name") == name);

    public IEnumerable<YamlMappingNode> OfKind(string kind) => _documents.Where(d => Scalar(d, "kind") == kind);

    /// <summary>What the silo Deployment gets wrong (empty when nothing).</summary>
    public List<string> SiloViolations()
    {
        var problems = new List<string>();
        var deployment = Find("Deployment", "aml-silo");
        if (deployment is null)
        {
            return ["no Deployment aml-silo"];
        }

        Expect(Scalar(deployment, "spec", "strategy", "rollingUpdate", "maxUnavailable") == "0", "rolling update maxUnavailable must be 0");
        var grace = int.TryParse(Scalar(deployment, "spec", "template", "spec", "terminationGracePeriodSeconds"), out var g) ? g : 0;
        Expect(grace > 60, $"terminationGracePeriodSeconds {grace} must exceed the host's 60 s shutdown timeout");
        Expect(Scalar(deployment, "spec", "template", "spec", "securityContext", "runAsNonRoot") == "true", "pods must run as non-root");
        Expect(Scalar(deployment, "spec", "template", "metadata", "labels", "orleans/serviceId") is not null, "pod label orleans/serviceId missing");
        Expect(Scalar(deployment, "spec", "template", "metadata", "labels", "orleans/clusterId") is not null, "pod label orleans/clusterId missing");
        var container = (YamlMappingNode)((YamlSequenceNode)Node(deployment, "spec", "template", "spec", "containers")!)[0];
        Expect(Scalar(container, "securityContext", "readOnlyRootFilesystem") == "true", "root file system must be read-only");
        Expect(Scalar(container, "readinessProbe", "httpGet", "path") == "/health/ready", "readiness probe must be /health/ready");
        Expect(Scalar(container, "livenessProbe", "httpGet", "path") == "/health/live", "liveness probe must be /health/live");
        var env = ((YamlSequenceNode?)Node(container, "env"))?.Cast<YamlMappingNode>().ToList() ?? [];
        var podIp = env.FirstOrDefault(e => Scalar(e, "name") == "POD_IP");
        Expect(podIp is not null && Scalar(podIp, "valueFrom", "fieldRef", "fieldPath") == "status.podIP", "POD_IP must come from status.podIP");
        foreach (var variable in env.Where(e => IsSecretName(Scalar(e, "name")!)))
        {
            // Either a secretKeyRef, or the path of a key file on the read-only secret volume.
            Expect(Node(variable, "value") is null || Scalar(variable, "value")!.StartsWith("/etc/aml/keys/", StringComparison.Ordinal),
                $"{Scalar(variable, "name")} must reference a secret, not carry a value");
        }

        return problems;

        void Expect(bool ok, string problem)
        {
            if (!ok)
            {
                problems.Add(problem);
            }
        }
    }

    private static bool IsSecretName(string name) =>
        name.Contains("Key", StringComparison.Ordinal) || name.Contains("Password", StringComparison.Ordinal) || name.Contains("Postgres", StringComparison.Ordinal);

    public static YamlNode? Node(YamlMappingNode root, params string[] path)
    {
        YamlNode current = root;
        foreach (var key in path)
        {
            if (current is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next))
            {
                return null;
            }

            current = next;
        }

        return current;
    }

    public static string? Scalar(YamlMappingNode root, params string[] path) => (Node(root, path) as YamlScalarNode)?.Value;
}
