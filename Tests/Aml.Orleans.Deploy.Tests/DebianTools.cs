using System.Diagnostics;

namespace Aml.Orleans.Deploy.Tests;

/// <summary>
/// Runs the real tools on the manifests: <c>kubectl kustomize</c> from Debian's kubectl 1.20 (kustomize v2.0.3, what
/// CI has; the kubectl on a developer's PATH may be another one) and promtool 2.42, both unpacked under tools/debian
/// by <c>./aml setup</c>. <c>AML_KUBECTL</c> and <c>AML_PROMTOOL</c> (exported by scripts/lib.sh) override the paths.
/// </summary>
internal static class DebianTools
{
    public static string Kubectl { get; } = Tool("AML_KUBECTL", "kubernetes-client", "kubectl");

    public static string Promtool { get; } = Tool("AML_PROMTOOL", "prometheus", "promtool");

    /// <summary>The rendered YAML of the kustomization in <paramref name="directory"/>, as <c>kubectl apply -k</c> would send it.</summary>
    public static string Kustomize(string directory) => Run(Kubectl, "kustomize", directory);

    /// <summary>Runs <paramref name="tool"/>; its standard output, or an exception carrying its standard error.</summary>
    public static string Run(string tool, params string[] arguments)
    {
        if (!File.Exists(tool))
        {
            throw new FileNotFoundException($"{tool} is missing: ./aml setup unpacks Debian's kubectl and promtool under tools/debian");
        }

        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"{Path.GetFileName(tool)} {string.Join(' ', arguments)} exited {process.ExitCode}: {error.Result}{output}");
    }

    private static string Tool(string variable, string package, string binary) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } path
            ? path
            : Path.Combine(Manifests.RepositoryRoot(), "tools", "debian", package, "usr", "bin", binary);
}
