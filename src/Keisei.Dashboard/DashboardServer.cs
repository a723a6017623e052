using System.Net;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Keisei.Evaluation.Storage;
using Keisei.Shogi.Records;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.OpenApi;
using Application = System.Net.Mime.MediaTypeNames.Application;

namespace Keisei.Dashboard;

/// <summary>
/// <c>keisei serve</c>: a read-only web dashboard over a runs folder (runs, curves, ratings, champion history,
/// evaluations, games), its JSON API with an OpenAPI document, and live updates by server-sent events. The pages are
/// embedded in this assembly. Ctrl-C is left to the caller, which calls <see cref="StopAsync"/>.
/// </summary>
public sealed class DashboardServer : IAsyncDisposable
{
    /// <summary>The cookie that carries the token once a browser has opened the printed address.</summary>
    public const string TokenCookie = "keisei_token";

    /// <summary>The most rows one <c>metrics?since=</c> answer or live event carries; the client asks again for the rest.</summary>
    public const int MaxIncrementRows = 5000;

    /// <summary>Points per metric tag when none is asked for.</summary>
    public const int DefaultPoints = 1000;

    private readonly RunCatalog _catalog;

    private DashboardServer(WebApplication app, DashboardOptions options, RunCatalog catalog)
    {
        App = app;
        Options = options;
        _catalog = catalog;
    }

    /// <summary>The ASP.NET Core application (tests reach its test server through it).</summary>
    public WebApplication App { get; }

    /// <summary>The resolved options (with the generated token, if one was made).</summary>
    public DashboardOptions Options { get; }

    /// <summary>Builds the dashboard; <paramref name="configure"/> may change the host before it is built (tests use a test server).</summary>
    /// <exception cref="DashboardOptionsException">An option cannot be used.</exception>
    public static DashboardServer Create(DashboardOptions options, Action<WebApplicationBuilder>? configure = null, ILoggerProvider? logger = null)
    {
        options = options.Resolve();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(DashboardServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.Logging.ClearProviders();
        if (logger is not null) builder.Logging.AddProvider(logger);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        // Signals are the caller's (keisei's own handler cancels RunAsync's token); the host must not take them as well.
        builder.Services.AddSingleton<IHostLifetime, CallerLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddHostFiltering(o =>
        {
            o.AllowedHosts = [.. options.HostNames()];
            o.AllowEmptyHosts = false;
            o.IncludeFailureMessage = true;
        });
        // The OpenAPI document's schemas (ApiSchemas.cs) in the answers' snake_case.
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        });
        builder.Services.AddOpenApi("v1", o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new() { Title = "Keisei dashboard API", Version = "v1", Description = "Read-only JSON over a runs folder: runs, metrics, ratings, champion history, evaluations and games." };
                return Task.CompletedTask;
            });
            o.AddSchemaTransformer((schema, context, _) =>
            {
                // results[i][j] is null where two players have no games (a type argument's nullability does not reach the schema).
                if (context.JsonTypeInfo.Type == typeof(HeadToHeadAnswer) && schema.Properties?.TryGetValue("results", out var results) == true
                    && results is OpenApiSchema { Items: OpenApiSchema { Items: { } cell } row })
                    row.Items = new OpenApiSchema { OneOf = [new OpenApiSchema { Type = JsonSchemaType.Null }, cell] };
                return Task.CompletedTask;
            });
        });
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (options.IsWildcard) k.ListenAnyIP(options.Port);
            else if (options.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) k.ListenLocalhost(options.Port);
            else k.Listen(IPAddress.Parse(options.Host), options.Port);
        });
        configure?.Invoke(builder);
        var app = builder.Build();
        var catalog = new RunCatalog(options.RunsRoot);
        var server = new DashboardServer(app, options, catalog);
        server.Configure();
        return server;
    }

    private void Configure()
    {
        App.UseHostFiltering();
        App.Use(Errors);
        if (Options.Token is not null) App.Use(RequireToken);
        App.MapOpenApi("/openapi/{documentName}.json");
        MapPages();
        MapApi();
    }

    /// <summary>
    /// Starts listening (returns once the server accepts requests) and reads every run's metrics and database in the
    /// background, so that the first page opened finds them indexed.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await App.StartAsync(cancellationToken).ConfigureAwait(false);
        var stopping = App.Lifetime.ApplicationStopping;
        _ = Task.Run(() =>
        {
            foreach (var run in _catalog.Runs())
            {
                if (stopping.IsCancellationRequested) return;
                Warm(() =>
                {
                    run.Metrics.Update();
                    run.Data();
                });
            }
        }, CancellationToken.None);

        static void Warm(Action read)
        {
            try
            {
                read();
            }
            catch (Exception e) when (e is ResultsStoreException or IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                // The same problem is reported to whoever opens the run (or the dashboard is closing).
            }
        }
    }

    /// <summary>Stops listening; open event streams end.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => App.StopAsync(cancellationToken);

    /// <summary>The addresses the server listens on (after <see cref="StartAsync"/>), e.g. <c>http://127.0.0.1:8765</c>.</summary>
    public IReadOnlyList<string> Addresses =>
        [.. App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []];

    /// <summary>The address to open in a browser: the first one listened on, with the token when one is needed.</summary>
    public string BrowserUrl
    {
        get
        {
            string address = Addresses.FirstOrDefault() ?? $"http://{Options.Host}:{Options.Port}";
            if (Options.IsWildcard) address = address.Replace("0.0.0.0", Dns.GetHostName(), StringComparison.Ordinal).Replace("[::]", Dns.GetHostName(), StringComparison.Ordinal);
            return address.TrimEnd('/') + "/" + (Options.Token is { } t ? "?token=" + Uri.EscapeDataString(t) : "");
        }
    }

    /// <summary>Stops the server if it is running and releases it and the runs' database connections.</summary>
    public async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await App.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Connections still open after the timeout are dropped by disposing.
            }
        }
        await App.DisposeAsync().ConfigureAwait(false);
        _catalog.Dispose();
    }

    private static async Task Errors(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (NotFoundException e) when (!context.Response.HasStarted)
        {
            await Problem(context, StatusCodes.Status404NotFound, e.Message).ConfigureAwait(false);
        }
        catch (ResultsStoreException e) when (!context.Response.HasStarted)
        {
            await Problem(context, StatusCodes.Status503ServiceUnavailable, e.Message).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && !context.Response.HasStarted)
        {
            await Problem(context, StatusCodes.Status503ServiceUnavailable, e.Message).ConfigureAwait(false);
        }
    }

    private static Task Problem(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new JsonObject { ["error"] = message });
    }

    /// <summary>
    /// Every request must carry the token: <c>Authorization: Bearer</c>, the cookie, or <c>?token=</c> (which sets the cookie;
    /// a page opened that way is redirected to its address without the token, so it does not stay in the address bar).
    /// </summary>
    private async Task RequireToken(HttpContext context, RequestDelegate next)
    {
        string token = Options.Token!;
        var request = context.Request;
        string? header = request.Headers.Authorization.FirstOrDefault();
        string? bearer = header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        string? query = request.Query["token"].FirstOrDefault();
        if (Matches(bearer, token) || Matches(request.Cookies[TokenCookie], token))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        if (Matches(query, token))
        {
            context.Response.Cookies.Append(TokenCookie, token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", IsEssential = true });
            if (HttpMethods.IsGet(request.Method) && !request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
            {
                var rest = request.Query.Where(kv => kv.Key != "token").Select(kv => $"{Uri.EscapeDataString(kv.Key)}={Uri.EscapeDataString(kv.Value.ToString())}").ToList();
                context.Response.Redirect(request.PathBase + request.Path + (rest.Count > 0 ? "?" + string.Join('&', rest) : ""));
                return;
            }
            await next(context).ConfigureAwait(false);
            return;
        }
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await Problem(context, StatusCodes.Status401Unauthorized, (bearer ?? query ?? request.Cookies[TokenCookie]) is null
            ? "this dashboard needs its token: open the address keisei serve printed (…/?token=…) or send 'Authorization: Bearer <token>'"
            : "the token given does not match this dashboard's (see the address keisei serve printed)").ConfigureAwait(false);
    }

    private static bool Matches(string? given, string token) =>
        given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token));

    private void MapPages()
    {
        App.MapGet("/", () => Asset("index.html")).ExcludeFromDescription();
        App.MapGet("/assets/{file}", (string file) => Asset(file)).ExcludeFromDescription();
    }

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    private static IResult Asset(string file)
    {
        if (!EmbeddedAssets.TryGet(file, out var content)) return TypedResults.NotFound();
        return new AssetResult(content, ContentTypes.GetValueOrDefault(Path.GetExtension(file), "application/octet-stream"));
    }

    private void MapApi()
    {
        var api = App.MapGroup("/api").WithTags("runs");
        api.MapGet("/runs", () => Json(new JsonObject
            {
                ["runs_root"] = _catalog.Root,
                ["runs"] = new JsonArray([.. _catalog.Runs().Select(r => (JsonNode)ApiViews.RunSummary(r, DateTimeOffset.UtcNow))]),
            }))
            .Produces<RunsAnswer>(200, Application.Json)
            .WithName("ListRuns").WithSummary("Every run under the runs folder: status, steps, time, latest score vs random/heuristic, champion.");
        api.MapGet("/runs/{run}", (string run) => Json(ApiViews.Run(_catalog.Get(run), DateTimeOffset.UtcNow)))
            .Produces<RunAnswer>(200, Application.Json).Produces<ErrorAnswer>(404, Application.Json)
            .WithName("GetRun").WithSummary("One run: its summary, metric tags, checkpoints, and lines of metrics.jsonl that could not be read.");
        api.MapGet("/runs/{run}/metrics", (string run, int? since, int? points, int? from) => Metrics(run, since, points, from))
            .Produces<MetricsAnswer>(200, Application.Json).Produces<ErrorAnswer>(400, Application.Json).Produces<ErrorAnswer>(404, Application.Json)
            .WithName("GetMetrics")
            .WithSummary("Metric curves from metrics.jsonl, by tag, as parallel arrays (row, step, time in s since the first row, cumulative games, value).")
            .WithDescription("Without since: every tag thinned to at most points per tag (default 1000; each bucket keeps its min and max) from row from on. " +
                $"With since=N: the raw rows from row N on (at most {MaxIncrementRows}); rows is the cursor for the next call.");
        api.MapGet("/runs/{run}/ratings", (string run) => Json(ApiViews.Ratings(_catalog.Get(run))))
            .Produces<RatingsAnswer>(200, Application.Json).Produces<ErrorAnswer>(404, Application.Json)
            .WithName("GetRatings").WithSummary("The run's ladder (Bradley–Terry ± 95 %, games, LOS vs next, rated or regularised), rating over checkpoints, head-to-head W-D-L.");
        api.MapGet("/runs/{run}/champion", (string run) => Json(ApiViews.ChampionHistory(_catalog.Get(run))))
            .Produces<ChampionHistoryAnswer>(200, Application.Json).Produces<ErrorAnswer>(404, Application.Json)
            .WithName("GetChampion").WithSummary("The champion, every promotion with its evidence, rolled-back checkpoints, and the gate matches.");
        api.MapGet("/runs/{run}/evaluations", (string run) => Json(ApiViews.Evaluations(_catalog.Get(run))))
            .Produces<EvaluationsAnswer>(200, Application.Json).Produces<ErrorAnswer>(404, Application.Json)
            .WithName("ListEvaluations").WithSummary("The run's evaluations, newest first: status, W-D-L, score, Elo ± 95 %, LLR (also while running).");
        api.MapGet("/runs/{run}/evaluations/{id:long}", (string run, long id) => Json(ApiViews.Evaluation(_catalog.Get(run), id)))
            .Produces<EvaluationAnswer>(200, Application.Json).Produces<ErrorAnswer>(404, Application.Json)
            .WithName("GetEvaluation").WithSummary("One evaluation as keisei evaluate --json reports it (W-D-L, pentanomial pairs, Elo ± CI, LLR), rebuilt from its stored games, with its plan and games.");
        api.MapGet("/runs/{run}/games/{id:long}", (string run, long id) => Json(ApiViews.Game(_catalog.Get(run), id)))
            .Produces<GameAnswer>(200, Application.Json).Produces<ErrorAnswer>(404, Application.Json)
            .WithName("GetGame").WithSummary("One game: players, result, termination reason, and each move in USI and Japanese notation with the SFEN after it and its time.");
        api.MapGet("/runs/{run}/games/{id:long}.kif", (string run, long id) => Record(run, id, "kif"))
            .WithName("GetGameKif").WithSummary("The game as KIF (Shift_JIS), as keisei games export writes it.").Produces<string>(200, "text/plain").Produces<ErrorAnswer>(404, Application.Json);
        api.MapGet("/runs/{run}/games/{id:long}.csa", (string run, long id) => Record(run, id, "csa"))
            .WithName("GetGameCsa").WithSummary("The game as CSA V2.2 (UTF-8), as keisei games export writes it.").Produces<string>(200, "text/plain").Produces<ErrorAnswer>(404, Application.Json);
        api.MapGet("/runs/{run}/events", (string run, int? since, CancellationToken cancellationToken) =>
                TypedResults.ServerSentEvents(Events(_catalog.Get(run), since, cancellationToken, App.Lifetime.ApplicationStopping)))
            .WithName("RunEvents")
            .WithSummary("Live updates (server-sent events): 'state' at once, then 'metrics' (new rows, as GetMetrics with since), 'db' (the database changed: data_version), 'ping' every 15 s.");
    }

    private static IResult Json(JsonObject body) => TypedResults.Text(body.ToJsonString(), "application/json; charset=utf-8", Encoding.UTF8);

    private IResult Metrics(string runName, int? since, int? points, int? from)
    {
        var run = _catalog.Get(runName);
        var log = run.Metrics;
        log.Update();
        if (since is < 0) return Bad($"since: expected a row number of 0 or more, found {since}");
        if (points is < 2 or > 100_000) return Bad($"points: expected 2 to 100000, found {points}");
        if (from is < 0) return Bad($"from: expected a row number of 0 or more, found {from}");
        return since is { } n
            ? Json(ApiViews.Metrics(log, log.Since(n, MaxIncrementRows), downsampled: false, n))
            : Json(ApiViews.Metrics(log, log.Downsampled(from ?? 0, points ?? DefaultPoints), downsampled: true, from ?? 0));
    }

    private static IResult Bad(string message) => TypedResults.Text(new JsonObject { ["error"] = message }.ToJsonString(), "application/json", Encoding.UTF8, StatusCodes.Status400BadRequest);

    private IResult Record(string runName, long id, string format)
    {
        var (game, names) = ApiViews.StoredGame(_catalog.Get(runName), id);
        var record = game.ToRecord(names);
        string file = $"evaluation{game.EvaluationId}-game{game.GameIndex:D4}.{format}";
        byte[] bytes = format == "kif" ? KifWriter.ShiftJis.GetBytes(KifWriter.Write(record)) : new UTF8Encoding(false).GetBytes(CsaWriter.Write(record));
        return TypedResults.File(bytes, format == "kif" ? "text/plain; charset=Shift_JIS" : "text/plain; charset=utf-8", file);
    }

    /// <summary>
    /// The live stream of one run: its state at once (an event stream sends nothing, not even headers, before its first
    /// event), then new metric rows and database changes as the watcher sees them, polling the file's length and the
    /// database's data version every <see cref="DashboardOptions.PollInterval"/>.
    /// </summary>
    private async IAsyncEnumerable<SseItem<string>> Events(RunState run, int? since, [EnumeratorCancellation] CancellationToken requestAborted,
        CancellationToken stopping)
    {
        // A stream ends when its client goes or the server stops (which would otherwise wait for it).
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, stopping);
        var cancellationToken = linked.Token;
        int cursor = run.Metrics.Update();
        long version = run.DataVersion();
        yield return new SseItem<string>(new JsonObject { ["rows"] = cursor, ["data_version"] = version, ["run"] = run.Name }.ToJsonString(), "state");
        if (since is { } from && from < cursor) cursor = from;
        var quiet = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            if (run.Metrics.Update() > cursor)
            {
                var increment = ApiViews.Metrics(run.Metrics, run.Metrics.Since(cursor, MaxIncrementRows), downsampled: false, cursor);
                cursor = (int)increment["rows"]!;
                quiet.Restart();
                yield return new SseItem<string>(increment.ToJsonString(), "metrics");
                continue;
            }
            long now = run.DataVersion();
            if (now != version)
            {
                version = now;
                quiet.Restart();
                yield return new SseItem<string>(new JsonObject { ["data_version"] = version }.ToJsonString(), "db");
            }
            if (quiet.Elapsed > TimeSpan.FromSeconds(15))
            {
                quiet.Restart();
                yield return new SseItem<string>("{}", "ping");
            }
            if (!await Wait(Options.PollInterval, cancellationToken).ConfigureAwait(false)) yield break;
        }
    }

    private static async Task<bool> Wait(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>A host lifetime that leaves Ctrl-C and SIGTERM to the caller.</summary>
    private sealed class CallerLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>An embedded page asset with an ETag, so a browser revalidates instead of downloading it again.</summary>
    private sealed class AssetResult(EmbeddedAssets.Asset asset, string contentType) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.Headers.ETag = asset.ETag;
            response.Headers.CacheControl = "no-cache";
            response.Headers.XContentTypeOptions = "nosniff";
            if (httpContext.Request.Headers.IfNoneMatch.Contains(asset.ETag))
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }
            response.ContentType = contentType;
            response.ContentLength = asset.Bytes.Length;
            await response.Body.WriteAsync(asset.Bytes).ConfigureAwait(false);
        }
    }
}

/// <summary>The page files embedded in this assembly (<c>wwwroot/</c>).</summary>
internal static class EmbeddedAssets
{
    /// <summary>An asset's bytes and entity tag.</summary>
    internal sealed record Asset(byte[] Bytes, string ETag);

    private static readonly Dictionary<string, Asset> Assets = Load();

    private static Dictionary<string, Asset> Load()
    {
        var assembly = typeof(EmbeddedAssets).Assembly;
        var result = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (string name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("wwwroot/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            byte[] bytes = copy.ToArray();
            result[name["wwwroot/".Length..]] = new Asset(bytes, "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..16] + "\"");
        }
        return result;
    }

    /// <summary>The names of the embedded files.</summary>
    public static IEnumerable<string> Names => Assets.Keys;

    public static bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Asset? asset) => Assets.TryGetValue(name, out asset);
}
