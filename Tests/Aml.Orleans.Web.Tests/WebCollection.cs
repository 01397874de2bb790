using Aml.Orleans.Silo.Tests;

namespace Aml.Orleans.Web.Tests;

/// <summary>The gateway suites' stack (silo process serving Web/dist, anvil with the contracts, PostgreSQL), reused as it is.</summary>
[CollectionDefinition(Name)]
public sealed class WebCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "web";
}
