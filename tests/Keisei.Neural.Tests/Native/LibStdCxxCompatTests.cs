using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using Keisei.Neural.Native;
using static Keisei.Neural.Tests.TestSupport;

namespace Keisei.Neural.Tests;

/// <summary>Where the test can find libLibTorchSharp.so: the copy in the test output and the original in the NuGet cache.</summary>
internal static class LibTorchSharpFiles
{
    public static string? InOutput => Directory.Exists(AppContext.BaseDirectory)
        ? Directory.EnumerateFiles(AppContext.BaseDirectory, LibStdCxxCompat.LibraryName, SearchOption.AllDirectories).FirstOrDefault()
        : null;

    /// <summary>The package cache's copy for the referenced TorchSharp version (never to be modified).</summary>
    public static string? InPackageCache
    {
        get
        {
            var version = typeof(TorchSharp.torch).Assembly.GetName().Version!;
            string root = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } env
                ? env
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            string path = Path.Combine(root, "torchsharp", $"{version.Major}.{version.Minor}.{version.Build}",
                "runtimes", "linux-x64", "native", LibStdCxxCompat.LibraryName);
            return File.Exists(path) ? path : null;
        }
    }
}

/// <summary>A fact that runs only on Linux where the library is present; otherwise it is skipped with the reason.</summary>
public sealed class LibTorchSharpFactAttribute : FactAttribute
{
    public LibTorchSharpFactAttribute(bool needsPackageCache = false)
    {
        if (!OperatingSystem.IsLinux()) Skip = "libLibTorchSharp.so and the GLIBCXX fix exist on Linux only";
        else if (LibTorchSharpFiles.InOutput is null) Skip = $"no {LibStdCxxCompat.LibraryName} under {AppContext.BaseDirectory}";
        else if (needsPackageCache && LibTorchSharpFiles.InPackageCache is null)
            Skip = $"the NuGet package cache holds no original {LibStdCxxCompat.LibraryName} for this TorchSharp version";
    }
}

public sealed class LibStdCxxCompatTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string created);

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    [LibTorchSharpFact]
    public void BuildOutputCopyIsWeakExactlyWhereTheHostNeedsIt()
    {
        string copy = _dir.File(LibStdCxxCompat.LibraryName);
        File.Copy(LibTorchSharpFiles.InOutput!, copy);
        bool hostProvides = LibStdCxxCompat.HostProvidesRequiredVersion(out _);
        var expected = hostProvides ? LibStdCxxCompat.RequirementState.Strict : LibStdCxxCompat.RequirementState.Weak;
        Assert.Equal(expected, LibStdCxxCompat.Inspect(copy));
    }

    [LibTorchSharpFact(needsPackageCache: true)]
    [SupportedOSPlatform("linux")] // the attribute skips it elsewhere
    public void MakeRequirementWeakChangesOneFlagAndNothingElse()
    {
        string original = LibTorchSharpFiles.InPackageCache!;
        string originalSha = Sha256(original);
        string copy = _dir.File(LibStdCxxCompat.LibraryName);
        File.Copy(original, copy);
        var written = new DateTime(2021, 3, 4, 5, 6, 7, 123, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(copy, written);
        var mode = File.GetUnixFileMode(copy);
        byte[] before = File.ReadAllBytes(copy);
        Assert.Equal(LibStdCxxCompat.RequirementState.Strict, LibStdCxxCompat.Inspect(copy));

        // A second name for the same file, as the build's hard-linked copies are: it must keep the original bytes.
        string linked = _dir.File("hard-link.so");
        Assert.True(Link(copy, linked) == 0, $"link(2) failed: errno {Marshal.GetLastPInvokeError()}");

        Assert.True(LibStdCxxCompat.MakeRequirementWeak(copy));
        Assert.Equal(LibStdCxxCompat.RequirementState.Weak, LibStdCxxCompat.Inspect(copy));
        byte[] after = File.ReadAllBytes(copy);
        Assert.Equal(before.Length, after.Length);
        int changed = Enumerable.Range(0, before.Length).Count(i => before[i] != after[i]);
        Assert.InRange(changed, 1, 2);
        Assert.Equal(written, File.GetLastWriteTimeUtc(copy));
        Assert.Equal(mode, File.GetUnixFileMode(copy));
        Assert.Equal(LibStdCxxCompat.RequirementState.Strict, LibStdCxxCompat.Inspect(linked));
        Assert.Equal(before, File.ReadAllBytes(linked));

        Assert.False(LibStdCxxCompat.MakeRequirementWeak(copy));
        Assert.Equal(after, File.ReadAllBytes(copy));
        Assert.Equal(written, File.GetLastWriteTimeUtc(copy));
        Assert.Equal(["hard-link.so", LibStdCxxCompat.LibraryName], Directory.GetFiles(_dir.Path).Select(Path.GetFileName).Order());
        Assert.Equal(originalSha, Sha256(original));
    }

    [Fact]
    public void HostLibStdCxxDefinesTheBaseVersion()
    {
        if (!OperatingSystem.IsLinux()) return;
        string? path = LibStdCxxCompat.FindHostLibStdCxx();
        Assert.NotNull(path);
        var versions = LibStdCxxCompat.DefinedVersions(path);
        Assert.Contains("GLIBCXX_3.4", versions);
        Assert.Contains("GLIBCXX_3.4.21", versions); // GCC 5, older than any supported host
        Assert.All(versions, v => Assert.Matches(@"^(GLIBCXX|CXXABI|libstdc\+\+)", v));
        bool provides = LibStdCxxCompat.HostProvidesRequiredVersion(out string? reported);
        Assert.Equal(path, reported);
        Assert.Equal(versions.Contains(LibStdCxxCompat.RequiredVersion), provides);
    }

    [Fact]
    public void FilesThatAreNotElfAreLeftAlone()
    {
        string path = _dir.File("not-elf.so");
        File.WriteAllText(path, new string('x', 200));
        Assert.Equal(LibStdCxxCompat.RequirementState.Absent, LibStdCxxCompat.Inspect(path));
        Assert.Empty(LibStdCxxCompat.DefinedVersions(path));
        Assert.False(LibStdCxxCompat.MakeRequirementWeak(path));
        Assert.Equal(new string('x', 200), File.ReadAllText(path));
    }
}
