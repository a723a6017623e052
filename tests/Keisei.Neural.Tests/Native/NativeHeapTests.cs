using System.Runtime.InteropServices;
using Keisei.Neural.Native;

namespace Keisei.Neural.Tests;

public sealed class NativeHeapTests
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr MallocFn(nuint size);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void FreeFn(IntPtr block);

    private static readonly IntPtr Libc = NativeLibrary.Load("libc.so.6");
    private static readonly MallocFn Malloc = Marshal.GetDelegateForFunctionPointer<MallocFn>(NativeLibrary.GetExport(Libc, "malloc"));
    private static readonly FreeFn Free = Marshal.GetDelegateForFunctionPointer<FreeFn>(NativeLibrary.GetExport(Libc, "free"));

    /// <summary>
    /// The pattern of a PPO minibatch — several blocks of a few MB allocated, written and freed together — touches fresh
    /// pages every time with glibc's defaults (the freed top of the heap exceeds twice the largest block and is trimmed,
    /// so the next round faults every page in again); with <see cref="NativeHeap.KeepFreedMemory"/> the memory is reused.
    /// Counted as the minor page faults of the thread doing it, which nothing else in the process adds to. The rounds run on
    /// a fresh thread: on a test-runner thread, whose malloc arena other tests share, 4 blocks of 12 MB once made 122,896
    /// faults for 122,880 pages in a quiet suite (most likely they spilled into an extra heap of that arena, which glibc
    /// unmaps whenever it is empty). Without the setting this test counts ~73,000 faults for 81,920 pages.
    /// </summary>
    [Fact]
    public void BlocksFreedTogetherAreReusedWithoutPageFaults()
    {
        Assert.True(NativeHeap.KeepFreedMemory()); // Linux with glibc, as on every machine Keisei supports
        const int blocks = 4, blockBytes = 8 << 20, rounds = 10;
        long faults = 0;
        var thread = new Thread(() =>
        {
            Round(blocks, blockBytes); // the first round maps the memory
            long before = ThreadMinorFaults();
            for (int r = 0; r < rounds; r++) Round(blocks, blockBytes);
            faults = ThreadMinorFaults() - before;
        });
        thread.Start();
        thread.Join();
        long pagesTouched = (long)rounds * blocks * blockBytes / Environment.SystemPageSize;
        Assert.True(faults < pagesTouched / 20, $"{faults} page faults for {pagesTouched} pages written into reused blocks");
    }

    private static void Round(int blocks, int blockBytes)
    {
        var pointers = new IntPtr[blocks];
        for (int b = 0; b < blocks; b++)
        {
            pointers[b] = Malloc((nuint)blockBytes);
            Assert.NotEqual(IntPtr.Zero, pointers[b]);
            for (int offset = 0; offset < blockBytes; offset += Environment.SystemPageSize) Marshal.WriteByte(pointers[b], offset, 1);
        }
        foreach (var pointer in pointers) Free(pointer);
    }

    /// <summary>Minor page faults of the calling thread (field 10 of /proc/thread-self/stat).</summary>
    private static long ThreadMinorFaults()
    {
        string stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture); // fields after "pid (comm) ": state is field 3
    }
}
