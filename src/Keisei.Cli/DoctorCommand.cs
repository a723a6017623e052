using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
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

    public static Command Create(TextWriter stdout)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("doctor",
            "Check the host: OS, .NET, TorchSharp and libtorch, the libstdc++ fix, devices, threads, disk, and a forward/backward self-test. Exit code 1 if something needed is broken.")
        {
            json,
        };
        command.SetAction(result =>
        {
            var checks = Run();
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
                stdout.WriteLine(failed ? "Something Keisei needs is broken (see FAIL above)." : "Everything Keisei needs works.");
            }
            return failed ? ExitCodes.Failure : ExitCodes.Success;
        });
        return command;
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

    /// <summary>Forward and backward pass of a tiny SE-ResNet (BatchNorm, SE, both heads) on random input.</summary>
    private static Check SelfTest()
    {
        try
        {
            var clock = Stopwatch.StartNew();
            using var scope = torch.NewDisposeScope();
            using var model = PolicyValueModel.Create(new ModelConfig { TowerDepth = 1, TowerWidth = 8 }, seed: 1);
            model.train();
            var input = torch.randn(4, model.Config.InputChannels, 9, 9);
            var (logits, value) = model.forward(input);
            var loss = logits.logsumexp(-1).mean() + value.pow(2).mean();
            loss.backward();
            double gradNorm = model.parameters().Select(p => p.grad is null ? 0 : p.grad.norm().item<float>()).Sum();
            clock.Stop();
            bool finite = double.IsFinite(loss.item<float>()) && double.IsFinite(gradNorm) && gradNorm > 0;
            return new("self-test", finite ? Status.Ok : Status.Fail, string.Create(CultureInfo.InvariantCulture,
                $"forward+backward of a 1x8 SE-ResNet on 4 positions: {(finite ? "ok" : "non-finite or zero gradients")} in {clock.Elapsed.TotalMilliseconds:F1} ms"));
        }
        catch (Exception e)
        {
            return new("self-test", Status.Fail, $"forward/backward failed: {e.Message}");
        }
    }
}
