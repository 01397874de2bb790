using k8s;
using YamlDotNet.RepresentationModel;

namespace Aml.Orleans.Deploy.Tests;

/// <summary>
/// Checks on every rendered object that a cluster would make at apply time, without a cluster: the Kubernetes schema
/// as KubernetesClient's generated models carry it (read strictly: an unknown or misspelt field, a wrong type fails),
/// the fields the API server requires, and the references between objects (selectors, named ports, the HPA's target,
/// the RoleBinding's role and account, ConfigMaps). Not checked here, for want of the OpenAPI documents or a server:
/// enum values, formats and ranges, defaulting, admission, and the Prometheus Operator's PodMonitor schema (checked by
/// hand instead).
/// </summary>
internal sealed partial class Manifests
{
    /// <summary>Created out of band (k8s/README.md), so a reference to them is not a dangling one.</summary>
    public static readonly string[] OutOfBand = ["aml-secrets", "aml-oracle-keys", "aml-deployment"];

    /// <summary>Ports of the silo that only operators may reach: the trader-facing Service must not carry them.</summary>
    public static readonly string[] AdminPortNames = ["admin", "metrics"];

    private static readonly string[] Workloads = ["Deployment", "StatefulSet", "Job"];

    /// <summary>What the strict schema read and the API server's required fields refuse.</summary>
    public List<string> SchemaViolations()
    {
        var problems = new List<string>();
        for (var i = 0; i < _documents.Count; i++)
        {
            var document = _documents[i];
            var id = $"{Scalar(document, "kind")}/{Scalar(document, "metadata", "name")}";
            foreach (var field in new[] { "apiVersion", "kind" })
            {
                if (Scalar(document, field) is not { Length: > 0 })
                {
                    problems.Add($"{id}: {field} missing");
                }
            }

            if (Scalar(document, "metadata", "name") is not { Length: > 0 })
            {
                problems.Add($"{id}: metadata.name missing");
            }

            if (Scalar(document, "apiVersion")?.StartsWith("monitoring.coreos.com/", StringComparison.Ordinal) == true)
            {
                continue; // a CRD: KubernetesClient has no model for it
            }

            try
            {
                KubernetesYaml.LoadAllFromString(_texts[i], strict: true);
            }
            catch (Exception ex) when (ex is YamlDotNet.Core.YamlException or ArgumentException or InvalidOperationException)
            {
                problems.Add($"{id}: not a valid {Scalar(document, "apiVersion")} {Scalar(document, "kind")}: {Innermost(ex).Message}");
            }

            if (Workloads.Contains(Scalar(document, "kind")))
            {
                foreach (var container in Containers(document))
                {
                    if (Scalar(container, "name") is not { Length: > 0 } || Scalar(container, "image") is not { Length: > 0 })
                    {
                        problems.Add($"{id}: every container needs a name and an image");
                    }
                }
            }
        }

        return problems;
    }

    /// <summary>References that would dangle once applied.</summary>
    public List<string> ReferenceViolations()
    {
        var problems = new List<string>();
        var pods = _documents.Where(d => Workloads.Contains(Scalar(d, "kind"))).ToList();
        foreach (var workload in pods.Where(w => Scalar(w, "kind") != "Job"))
        {
            var selector = Labels(workload, "spec", "selector", "matchLabels");
            Expect(selector.Count > 0 && Matches(selector, workload), $"{Name(workload)}: its selector does not select its own pod template");
        }

        foreach (var service in OfKind("Service"))
        {
            var selector = Labels(service, "spec", "selector");
            var backends = pods.Where(p => Matches(selector, p)).ToList();
            Expect(backends.Count > 0, $"Service {Name(service)} selects no pod template");
            foreach (var port in Sequence(service, "spec", "ports"))
            {
                var target = Scalar(port, "targetPort");
                Expect(target is null || int.TryParse(target, out _) || backends.All(b => PortNames(b).Contains(target)),
                    $"Service {Name(service)}: targetPort {target} is no named port of the pods it selects");
            }
        }

        foreach (var workload in pods)
        {
            foreach (var container in Containers(workload))
            {
                foreach (var probe in new[] { "readinessProbe", "livenessProbe", "startupProbe" })
                {
                    var port = Scalar(container, probe, "httpGet", "port");
                    Expect(port is null || int.TryParse(port, out _) || PortNames(workload).Contains(port), $"{Name(workload)}: {probe} port {port} is not a container port");
                }

                foreach (var source in Sequence(container, "envFrom"))
                {
                    ExpectConfigMap(Scalar(source, "configMapRef", "name"), Name(workload));
                }
            }

            foreach (var volume in Sequence(workload, "spec", "template", "spec", "volumes"))
            {
                ExpectConfigMap(Scalar(volume, "configMap", "name"), Name(workload));
            }

            var account = Scalar(workload, "spec", "template", "spec", "serviceAccountName");
            Expect(account is null || Find("ServiceAccount", account) is not null, $"{Name(workload)}: no ServiceAccount {account}");
        }

        foreach (var hpa in OfKind("HorizontalPodAutoscaler"))
        {
            Expect(Find(Scalar(hpa, "spec", "scaleTargetRef", "kind")!, Scalar(hpa, "spec", "scaleTargetRef", "name")!) is not null, $"{Name(hpa)}: its scale target does not exist");
        }

        foreach (var selecting in OfKind("PodDisruptionBudget").Concat(OfKind("PodMonitor")))
        {
            Expect(pods.Any(p => Matches(Labels(selecting, "spec", "selector", "matchLabels"), p)), $"{Name(selecting)} selects no pod template");
        }

        foreach (var endpoint in OfKind("PodMonitor").SelectMany(m => Sequence(m, "spec", "podMetricsEndpoints")))
        {
            Expect(pods.Any(p => PortNames(p).Contains(Scalar(endpoint, "port")!)), $"PodMonitor: port {Scalar(endpoint, "port")} is no silo container port");
        }

        foreach (var binding in OfKind("RoleBinding"))
        {
            Expect(Find(Scalar(binding, "roleRef", "kind")!, Scalar(binding, "roleRef", "name")!) is not null, $"{Name(binding)}: its role does not exist");
            foreach (var subject in Sequence(binding, "subjects"))
            {
                Expect(Find(Scalar(subject, "kind")!, Scalar(subject, "name")!) is not null, $"{Name(binding)}: subject {Scalar(subject, "name")} does not exist");
            }
        }

        return problems;

        void ExpectConfigMap(string? name, string user) =>
            Expect(name is null || OutOfBand.Contains(name) || Find("ConfigMap", name) is not null, $"{user}: no ConfigMap {name}");

        void Expect(bool ok, string problem)
        {
            if (!ok)
            {
                problems.Add(problem);
            }
        }
    }

    /// <summary>The trader-facing Service (aml-gateway) must not reach an admin or metrics port of the silo.</summary>
    public List<string> TraderServiceViolations()
    {
        var gateway = Find("Service", "aml-gateway");
        var silo = Find("Deployment", "aml-silo");
        if (gateway is null || silo is null)
        {
            return ["no Service aml-gateway or Deployment aml-silo"];
        }

        var adminPorts = Containers(silo).SelectMany(c => Sequence(c, "ports"))
            .Where(p => AdminPortNames.Contains(Scalar(p, "name")))
            .SelectMany(p => new[] { Scalar(p, "name")!, Scalar(p, "containerPort")! })
            .ToHashSet(StringComparer.Ordinal);
        return Sequence(gateway, "spec", "ports")
            .Where(p => adminPorts.Contains(Scalar(p, "targetPort") ?? Scalar(p, "port")!))
            .Select(p => $"Service aml-gateway exposes the silo's admin port {Scalar(p, "targetPort")} to traders")
            .ToList();
    }

    private static Exception Innermost(Exception ex) => ex.InnerException is { } inner ? Innermost(inner) : ex;

    private static string Name(YamlMappingNode document) => $"{Scalar(document, "kind")} {Scalar(document, "metadata", "name")}";

    private static IEnumerable<YamlMappingNode> Containers(YamlMappingNode document) => Sequence(document, "spec", "template", "spec", "containers");

    private static IEnumerable<YamlMappingNode> Sequence(YamlMappingNode root, params string[] path) =>
        (Node(root, path) as YamlSequenceNode)?.Cast<YamlMappingNode>() ?? [];

    private static Dictionary<string, string> Labels(YamlMappingNode root, params string[] path) =>
        (Node(root, path) as YamlMappingNode)?.Children.ToDictionary(c => c.Key.ToString(), c => c.Value.ToString(), StringComparer.Ordinal) ?? [];

    private static bool Matches(Dictionary<string, string> selector, YamlMappingNode workload)
    {
        var labels = Labels(workload, "spec", "template", "metadata", "labels");
        return selector.Count > 0 && selector.All(s => labels.TryGetValue(s.Key, out var v) && v == s.Value);
    }

    private static HashSet<string> PortNames(YamlMappingNode workload) =>
        Containers(workload).SelectMany(c => Sequence(c, "ports")).Select(p => Scalar(p, "name")).OfType<string>().ToHashSet(StringComparer.Ordinal);
}
