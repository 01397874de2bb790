using Aml.Orleans.Silo.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddAmlSilo();
builder.AddAmlTelemetry();

var app = builder.Build();
app.MapAmlEndpoints();
app.Run();
