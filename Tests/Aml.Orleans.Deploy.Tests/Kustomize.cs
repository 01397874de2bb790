using YamlDotNet.RepresentationModel;

namespace Aml.Orleans.Deploy.Tests;

/// <summary>
/// Renders a kustomization the way <c>kubectl kustomize</c> does for the features these manifests use — resources
/// (recursively), namespace, image overrides and JSON 6902 <c>replace</c> patches — so the tests check what would
/// be applied without needing kubectl on the machine. (Both overlays also render with kubectl; see k8s/README.md.)
/// </summary>
internal static class Kustomize
{
    public static List<YamlMappingNode> Render(string directory)
    {
        var kustomization = Load(Path.Combine(directory, "kustomization.yaml")).Single();
        var documents = new List<YamlMappingNode>();
        foreach (var resource in Sequence(kustomization, "resources"))
        {
            var path = Path.GetFullPath(Path.Combine(directory, resource.ToString()));
            documents.AddRange(Directory.Exists(path) ? Render(path) : Load(path));
        }

        if (Manifests.Scalar(kustomization, "namespace") is { } ns)
        {
            foreach (var document in documents)
            {
                var metadata = (YamlMappingNode)document.Children[new YamlScalarNode("metadata")];
                metadata.Children[new YamlScalarNode("namespace")] = new YamlScalarNode(ns);
            }
        }

        foreach (var image in Sequence(kustomization, "images").Cast<YamlMappingNode>())
        {
            var name = Manifests.Scalar(image, "name")!;
            foreach (var container in documents.SelectMany(Containers))
            {
                var current = Manifests.Scalar(container, "image")!;
                if (current.Split(':')[0] == name)
                {
                    var newName = Manifests.Scalar(image, "newName") ?? name;
                    var newTag = Manifests.Scalar(image, "newTag") ?? current.Split(':').ElementAtOrDefault(1) ?? "latest";
                    container.Children[new YamlScalarNode("image")] = new YamlScalarNode($"{newName}:{newTag}");
                }
            }
        }

        foreach (var patch in Sequence(kustomization, "patches").Cast<YamlMappingNode>())
        {
            var kind = Manifests.Scalar(patch, "target", "kind");
            var name = Manifests.Scalar(patch, "target", "name");
            var target = documents.Single(d => Manifests.Scalar(d, "kind") == kind && Manifests.Scalar(d, "metadata", "name") == name);
            var operations = new YamlStream();
            operations.Load(new StringReader(Manifests.Scalar(patch, "patch")!));
            foreach (var operation in ((YamlSequenceNode)operations.Documents[0].RootNode).Cast<YamlMappingNode>())
            {
                if (Manifests.Scalar(operation, "op") != "replace")
                {
                    throw new NotSupportedException($"patch op {Manifests.Scalar(operation, "op")}: only replace is rendered here");
                }

                Replace(target, Manifests.Scalar(operation, "path")!, operation.Children[new YamlScalarNode("value")]);
            }
        }

        return documents;
    }

    private static void Replace(YamlMappingNode root, string path, YamlNode value)
    {
        var parts = path.Trim('/').Split('/');
        YamlNode current = root;
        foreach (var part in parts[..^1])
        {
            current = current is YamlSequenceNode sequence ? sequence[int.Parse(part, System.Globalization.CultureInfo.InvariantCulture)] : ((YamlMappingNode)current).Children[new YamlScalarNode(part)];
        }

        ((YamlMappingNode)current).Children[new YamlScalarNode(parts[^1])] = value;
    }

    private static IEnumerable<YamlMappingNode> Containers(YamlMappingNode document) =>
        (Manifests.Node(document, "spec", "template", "spec", "containers") as YamlSequenceNode)?.Cast<YamlMappingNode>() ?? [];

    private static IEnumerable<YamlNode> Sequence(YamlMappingNode root, string key) =>
        (Manifests.Node(root, key) as YamlSequenceNode)?.Children ?? [];

    private static IEnumerable<YamlMappingNode> Load(string file)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(file);
        stream.Load(reader);
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode);
    }
}
