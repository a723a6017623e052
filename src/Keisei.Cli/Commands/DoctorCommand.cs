using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Keisei.Neural.Diagnostics;
using Keisei.Neural.Models;
using Keisei.Neural.Native;
using TorchSharp;

namespace Keisei.Cli;

/// <summary><c>keisei doctor</c>: what this host offers Keisei and whether the neural stack works here.</summary>
internal static class DoctorCommand
{
    private enum Status
    {
        Ok,
        Warn,
        Fail,
    }

    private sealed record Check(string Name, Status Status, string Detail);

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var stress = new Option<bool>("--stress")
        {
            Description = "Repeat the numeric checks (forward/backward against float64, checkpoint save/load, batcher against a direct pass) " +
                "on heap memory poisoned with NaN, while busy threads load the CPU; report failures per check. Exit code 1 on any failure.",
        };
        var iterations = new Option<int>("--iterations") { Description = "Iterations of --stress (each runs every check once).", DefaultValueFactory = _ => 500 }
            .InRange(1, 1_000_000);
        var load = new Option<int>("--load") { Description = "Busy threads beside --stress.", DefaultValueFactory = _ => 2 }.InRange(0, 256);
        var command = new Command("doctor",
            "Check the host: OS, .NET, TorchSharp and libtorch, the libstdc++ fix, devices, threads, disk, the numeric safeguards, and a " +
            "forward/backward self-test against float64. Exit code 1 if something needed is broken. With --stress, repeat the numeric checks under load.")
        {
            json, stress, iterations, load,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var checks = Run();
            StressReport? report = null;
            if (result.GetValue(stress) && checks.All(c => c.Status != Status.Fail))
            {
                report = await Stress(result.GetValue(iterations), result.GetValue(load), stderr, cancellationToken);
                checks.AddRange(report.Checks.Select(c => new Check($"stress: {c.Name}", c.Failures == 0 ? Status.Ok : Status.Fail,
                    string.Create(CultureInfo.InvariantCulture, $"{c.Failures} failures in {c.Runs} runs ({c.Elapsed.TotalSeconds:F0} s)") +
                    (c.FirstFailure is null ? "" : $"; first: {c.FirstFailure}"))));
            }
            bool failed = checks.Any(c => c.Status == Status.Fail);
            if (result.GetValue(json))
            {
                JsonOutput.Write(stdout, w =>
                {
                    w.WriteBoolean("ok", !failed);
                    w.WriteStartArray("checks");
                    foreach (var c in checks)
                    {
                        w.WriteStartObject();
                        w.WriteString("name", c.Name);
                        w.WriteString("status", c.Status.ToString().ToLowerInvariant());
                        w.WriteString("detail", c.Detail);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    if (report is not null)
                    {
                        w.WriteStartObject("stress");
                        w.WriteNumber("iterations", report.Iterations);
                        w.WriteNumber("load", report.Load);
                        w.WriteNumber("seconds", Math.Round(report.Elapsed.TotalSeconds, 1));
                        w.WriteNumber("failures", report.Failures);
                        w.WriteEndObject();
                    }
                });
            }
            else
            {
                stdout.WriteLine("Keisei doctor");
                foreach (var c in checks)
                {
                    string mark = c.Status switch { Status.Ok => "ok  ", Status.Warn => "warn", _ => "FAIL" };
                    stdout.WriteLine($"  [{mark}] {c.Name,-12} {c.Detail}");
                }
                if (report is not null)
                    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"Stress: {report.Iterations} iterations with {report.Load} busy threads in {report.Elapsed.TotalSeconds:F0} s, {report.Failures} failures."));
                stdout.WriteLine(failed ? "Something Keisei needs is broken (see FAIL above)." : "Everything Keisei needs works.");
            }
            if (cancellationToken.IsCancellationRequested && report is not null) return ExitCodes.Interrupted;
            return failed ? ExitCodes.Failure : ExitCodes.Success;
        });
        return command;
    }

    private static async Task<StressReport> Stress(int iterations, int load, TextWriter stderr, CancellationToken cancellationToken)
    {
        var line = new ProgressLine(stderr);
        var clock = Stopwatch.StartNew();
        using var checks = new NumericChecks(Path.Combine(Path.GetTempPath(), $"keisei-doctor-{Environment.ProcessId}"));
        var progress = new SynchronousProgress<int>(done =>
        {
            if (done == iterations || done % 10 == 0)
                line.Update(string.Create(CultureInfo.InvariantCulture, $"stress: {done}/{iterations} iterations, {clock.Elapsed.TotalSeconds:F0} s"));
        });
        var report = await checks.RunAsync(iterations, load, progress, cancellationToken);
        line.Finish();
        return report;
    }

    private static List<Check> Run()
    {
        var checks = new List<Check>
        {
            new("os", Status.Ok, $"{RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})"),
            new(".net", Status.Ok, $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier})"),
        };
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) checks.AddRange(LibStdCxxChecks());

        string torchSharpVersion = typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "unknown";
        string libtorch;
        try
        {
            libtorch = torch.__version__;
        }
        catch (Exception e)
        {
            var inner = e;
            while (inner.InnerException is not null) inner = inner.InnerException;
            checks.Add(new("torch", Status.Fail, $"TorchSharp {torchSharpVersion} could not load libtorch: {inner.Message}"));
            return checks;
        }
        checks.Add(new("torch", Status.Ok, $"TorchSharp {torchSharpVersion}, libtorch {libtorch}, runtime {(TorchDevices.IsCpuRuntime ? "cpu" : "cuda")}"));

        bool cuda = torch.cuda.is_available();
        checks.Add(new("devices", Status.Ok, cuda
            ? $"cpu, cuda x{torch.cuda.device_count()} (cuDNN {(torch.cuda.is_cudnn_available() ? "yes" : "no")})"
            : $"cpu; cuda not available: {TorchDevices.CudaUnavailableReason()}"));
        checks.Add(new("threads", Status.Ok,
            $"{Environment.ProcessorCount} logical cores; torch intra-op {torch.get_num_threads()}, inter-op {torch.get_num_interop_threads()}"));
        checks.Add(DiskCheck());
        checks.Add(NumericsCheck());
        checks.Add(SelfTest());
        return checks;
    }

    private static IEnumerable<Check> LibStdCxxChecks()
    {
        bool provides = LibStdCxxCompat.HostProvidesRequiredVersion(out string? host);
        string newest = host is null
            ? "none found"
            : LibStdCxxCompat.DefinedVersions(host).Where(v => v.StartsWith("GLIBCXX_", StringComparison.Ordinal))
                .OrderBy(v => Version.TryParse(v["GLIBCXX_".Length..], out var ver) ? ver : new Version(0, 0)).LastOrDefault() ?? "none";
        yield return new("libstdc++", Status.Ok, host is null
            ? "libstdc++.so.6 not found in the usual places"
            : $"{host}: newest {newest}; {(provides ? "provides" : "lacks")} {LibStdCxxCompat.RequiredVersion}");

        var copies = Directory.EnumerateFiles(AppContext.BaseDirectory, LibStdCxxCompat.LibraryName, SearchOption.AllDirectories)
            .Select(p => (Path: Path.GetRelativePath(AppContext.BaseDirectory, p), State: LibStdCxxCompat.Inspect(p))).ToList();
        if (copies.Count == 0)
        {
            yield return new("glibcxx-fix", Status.Fail, $"{LibStdCxxCompat.LibraryName} is not next to keisei ({AppContext.BaseDirectory})");
            yield break;
        }
        var strict = copies.Where(c => c.State == LibStdCxxCompat.RequirementState.Strict).Select(c => c.Path).ToList();
        int weak = copies.Count(c => c.State == LibStdCxxCompat.RequirementState.Weak);
        if (provides)
            yield return new("glibcxx-fix", Status.Ok, $"not needed: the host provides {LibStdCxxCompat.RequiredVersion} ({copies.Count} copies as shipped, {weak} marked weak)");
        else if (strict.Count == 0)
            yield return new("glibcxx-fix", Status.Ok, $"applied by the build: {LibStdCxxCompat.RequiredVersion} marked weak in {weak} of {copies.Count} copies of {LibStdCxxCompat.LibraryName}");
        else
            yield return new("glibcxx-fix", Status.Fail, $"needed but not applied to {string.Join(", ", strict)}; rebuild Keisei (the build applies it)");
    }

    private static Check DiskCheck()
    {
        try
        {
            var drive = new DriveInfo(Path.GetFullPath(Directory.GetCurrentDirectory()));
            double gib = drive.AvailableFreeSpace / (1024.0 * 1024 * 1024);
            return new("disk", gib < 2 ? Status.Warn : Status.Ok,
                string.Create(CultureInfo.InvariantCulture, $"{gib:F1} GiB free on {drive.Name} (current directory {Directory.GetCurrentDirectory()})"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return new("disk", Status.Warn, $"free space unknown: {e.Message}");
        }
    }

    /// <summary>What guards the numbers (README, "Numerical integrity"): kept scalars, padded convolutions, non-finite checks.</summary>
    private static Check NumericsCheck() => new("numerics", Status.Ok,
        "scalars kept alive through libtorch calls (Keisei's Adam/AdamW; TorchSharp's temporaries are refused at build time); " +
        $"convolutions padded to multiples of {ChannelPaddedConv2d.ChannelMultiple} channels (oneDNN blocked-layout tails); " +
        "non-finite losses, gradients, weights and network outputs are refused");

    /// <summary>One round of the numeric checks' forward/backward against float64, on every model they cover.</summary>
    private static Check SelfTest()
    {
        try
        {
            var clock = Stopwatch.StartNew();
            using var checks = new NumericChecks(Path.Combine(Path.GetTempPath(), $"keisei-doctor-{Environment.ProcessId}"));
            var report = checks.RunAsync(NumericChecks.Configurations.Count, load: 0).GetAwaiter().GetResult();
            clock.Stop();
            var failure = report.Checks.FirstOrDefault(c => c.Failures > 0);
            string outcome = failure is null ? "ok" : $"{failure.Name} failed: {failure.FirstFailure}";
            return new("self-test", failure is null ? Status.Ok : Status.Fail, string.Create(CultureInfo.InvariantCulture,
                $"forward/backward against float64, save/load and batcher on {NumericChecks.Configurations.Count} small models: {outcome} in {clock.Elapsed.TotalMilliseconds:F0} ms"));
        }
        catch (Exception e)
        {
            return new("self-test", Status.Fail, $"forward/backward failed: {e.Message}");
        }
    }
}
