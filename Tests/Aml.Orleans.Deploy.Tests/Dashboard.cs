using System.Text.Json.Nodes;

namespace Aml.Orleans.Deploy.Tests;

/// <summary>The Grafana dashboard's PromQL, checked by promtool: a panel whose query does not parse shows nothing.</summary>
internal static class Dashboard
{
    /// <summary>Every panel target's <c>expr</c> in the dashboard JSON.</summary>
    public static List<string> Queries(string json) =>
        JsonNode.Parse(json)!["panels"]!.AsArray()
            .SelectMany(p => p!["targets"]!.AsArray())
            .Select(t => (string)t!["expr"]!)
            .ToList();

    /// <summary>
    /// The queries promtool refuses. Each becomes a recording rule of its own file, so that promtool's error names it;
    /// Grafana's <c>$__</c> macros are not used by the dashboard, so the text is PromQL as is.
    /// </summary>
    public static List<string> Unparsable(IEnumerable<string> queries)
    {
        var directory = Directory.CreateTempSubdirectory("aml-dashboard-").FullName;
        try
        {
            var refused = new List<string>();
            foreach (var (query, i) in queries.Select((q, i) => (q, i)))
            {
                var file = Path.Combine(directory, $"panel-{i}.yaml");
                var rule = new JsonObject { ["record"] = $"aml:dashboard:query_{i}", ["expr"] = query };
                var rules = new JsonObject { ["groups"] = new JsonArray(new JsonObject { ["name"] = "dashboard", ["rules"] = new JsonArray(rule) }) };
                File.WriteAllText(file, rules.ToJsonString()); // JSON is YAML
                try
                {
                    DebianTools.Run(DebianTools.Promtool, "check", "rules", file);
                }
                catch (InvalidOperationException ex)
                {
                    refused.Add($"{query}: {ex.Message}");
                }
            }

            return refused;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
