using Microsoft.Extensions.Logging;
using TorchSharp;

namespace Keisei.Neural.Native;

/// <summary>Parses the <c>device</c> setting (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>, <c>auto</c>) and resolves it to a TorchSharp device.</summary>
public static class TorchDevices
{
    /// <summary>Checks the syntax of a device setting; returns an error message or null.</summary>
    public static string? Validate(string spec)
    {
        if (spec is "cpu" or "cuda" or "auto") return null;
        if (spec.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(spec.AsSpan(5), out int n) && n >= 0) return null;
        return $"expected cpu, cuda, cuda:N (N = 0, 1, ...) or auto, found '{spec}'";
    }

    /// <summary>
    /// The device for a setting. <c>auto</c> picks CUDA when available and otherwise CPU, logging why; asking for CUDA
    /// explicitly where there is none is an error.
    /// </summary>
    /// <exception cref="ArgumentException">Bad syntax, or CUDA asked for and not available (the message says why).</exception>
    public static torch.Device Resolve(string spec, ILogger logger)
    {
        string? error = Validate(spec);
        if (error is not null) throw new ArgumentException($"device: {error}", nameof(spec));
        if (spec == "cpu") return torch.CPU;

        bool available = torch.cuda.is_available();
        int count = available ? torch.cuda.device_count() : 0;
        string why = CudaUnavailableReason();
        if (spec == "auto")
        {
            if (available) return torch.CUDA;
            logger.LogInformation("device auto: using CPU because {Reason}", why);
            return torch.CPU;
        }
        if (!available) throw new ArgumentException($"device: '{spec}' was asked for, but {why}", nameof(spec));
        int index = spec == "cuda" ? 0 : int.Parse(spec.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture);
        if (index >= count) throw new ArgumentException($"device: '{spec}' was asked for, but only {count} CUDA device(s) exist", nameof(spec));
        return new torch.Device(DeviceType.CUDA, index);
    }

    /// <summary>Why CUDA cannot be used here, in words.</summary>
    public static string CudaUnavailableReason() => IsCpuRuntime
        ? "this build uses the CPU-only TorchSharp runtime (rebuild with -p:KeiseiTorchRuntime=cuda on a CUDA host)"
        : "no CUDA device or driver was found";

    /// <summary>True when the TorchSharp native runtime next to the application is the CPU-only one (no libtorch CUDA library).</summary>
    public static bool IsCpuRuntime => !new[]
    {
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libtorch_cuda.so"),
        Path.Combine(AppContext.BaseDirectory, "runtimes", "win-x64", "native", "torch_cuda.dll"),
        Path.Combine(AppContext.BaseDirectory, "libtorch_cuda.so"),
        Path.Combine(AppContext.BaseDirectory, "torch_cuda.dll"),
    }.Any(File.Exists);
}
