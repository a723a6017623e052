using System.Runtime.InteropServices;

namespace Keisei.Neural.Native;

/// <summary>
/// Tells glibc's allocator, which libtorch's CPU tensors come from, to keep the memory of freed tensors for the next ones
/// instead of handing it back to the kernel at once.
/// </summary>
/// <remarks>
/// By default glibc serves a large block (a few MB: an activation or gradient of a 512-position minibatch) with its own
/// mmap, or from the top of the heap, and gives it back to the kernel on free (a mapped block at once, the top of the heap
/// once its free part passes a threshold that several tensors freed together exceed); the next tensor of that size then
/// touches fresh pages, each a page fault and a page the kernel zeroes. A PPO update of the quickstart network made about
/// 150,000 page faults (measured with <c>perf stat -e page-faults</c>), about a fifth of its CPU time.
/// With blocks up to the largest mmap threshold glibc allows (32 MiB on 64-bit) served from the heap and up to 1 GiB of
/// free heap kept, it makes almost none. The cost is that a process keeps up to that much freed memory mapped.
/// </remarks>
public static class NativeHeap
{
    /// <summary>Blocks this large and larger are still mapped on their own: glibc's upper limit for the threshold on 64-bit.</summary>
    public const int MmapThreshold = 32 * 1024 * 1024;

    /// <summary>Free memory at the top of the heap beyond this is given back to the kernel.</summary>
    public const int TrimThreshold = 1024 * 1024 * 1024;

    private const int MallocTrimThreshold = -1, MallocMmapThreshold = -3; // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD (malloc.h)

    private static readonly Lock Gate = new();
    private static bool? _applied;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int MallOpt(int parameter, int value);

    /// <summary>
    /// Applies the settings once per process; true when glibc accepted both. False where there is no glibc
    /// <c>mallopt</c> (another C library or platform): then nothing changes.
    /// </summary>
    public static bool KeepFreedMemory()
    {
        lock (Gate)
        {
            if (_applied is { } done) return done;
            _applied = TryApply();
            return _applied.Value;
        }
    }

    private static bool TryApply()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out IntPtr libc)) return false;
        if (!NativeLibrary.TryGetExport(libc, "mallopt", out IntPtr function)) return false;
        var mallopt = Marshal.GetDelegateForFunctionPointer<MallOpt>(function);
        // mallopt returns 1 on success, 0 on error.
        return mallopt(MallocMmapThreshold, MmapThreshold) == 1 & mallopt(MallocTrimThreshold, TrimThreshold) == 1;
    }
}
