using Microsoft.Playwright;

namespace Keisei.Dashboard.Tests;

/// <summary>
/// Debian's Chromium (package <c>chromium</c>), driven by Playwright for .NET through <c>ExecutablePath</c> (Playwright's own
/// browser download is never used). Missing Chromium skips the browser tests locally and fails them under <c>CI=true</c>.
/// </summary>
public static class Chromium
{
    public const string DebianPath = "/usr/lib/chromium/chromium";

    public static bool Installed => File.Exists(DebianPath);

    public static bool OnCi => Environment.GetEnvironmentVariable("CI") == "true";
}

/// <summary>A browser test: skipped (with the reason) when Chromium is missing, except under CI=true, where it then fails.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (!Chromium.Installed && !Chromium.OnCi)
            Skip = $"Chromium is not installed ({Chromium.DebianPath}); install it with: apt-get install --no-install-recommends chromium fonts-vlgothic";
    }
}

/// <summary>One headless Chromium for the whole browser test collection.</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!Chromium.Installed)
        {
            if (Chromium.OnCi) throw new InvalidOperationException($"CI=true but Chromium is missing at {Chromium.DebianPath}: .ci/run installs Debian's chromium package");
            return;
        }
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium.DebianPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
