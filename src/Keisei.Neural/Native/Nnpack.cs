using System.Runtime.InteropServices;
using TorchSharp;

namespace Keisei.Neural.Native;

/// <summary>
/// Turns libtorch's NNPACK convolution path off (what <c>torch.backends.nnpack.set_flags(False)</c> does in Python;
/// TorchSharp 0.107 has no binding for it). On CPUs where NNPACK cannot initialise, libtorch tries it on every convolution
/// and prints "Could not initialize NNPACK! Reason: Unsupported hardware." each time — hundreds of lines for a short
/// evaluation. Keisei's convolutions run on oneDNN either way, so nothing is lost.
/// </summary>
public static class Nnpack
{
    private static readonly Lock Gate = new();
    private static bool? _applied;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr GlobalContext();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetEnabled(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    [return: MarshalAs(UnmanagedType.U1)]
    private delegate bool GetEnabled(IntPtr context);

    // at::globalContext(), at::Context::setUserEnabledNNPACK(bool) and at::Context::userEnabledNNPACK() (Itanium C++ ABI).
    private const string GlobalContextSymbol = "_ZN2at13globalContextEv";
    private const string SetSymbol = "_ZN2at7Context20setUserEnabledNNPACKEb";
    private const string GetSymbol = "_ZNK2at7Context17userEnabledNNPACKEv";

    /// <summary>
    /// Disables NNPACK once per process; true when it is off afterwards. False where libtorch does not export the switch
    /// (another platform or build): then nothing changes.
    /// </summary>
    public static bool Disable()
    {
        lock (Gate)
        {
            if (_applied is { } done) return done;
            _applied = TryDisable();
            return _applied.Value;
        }
    }

    /// <summary>Whether libtorch would try NNPACK for a convolution now; null where the switch cannot be read.</summary>
    public static bool? Enabled()
    {
        if (!TryBind(out var context, out _, out var get)) return null;
        return get(context());
    }

    private static bool TryDisable()
    {
        if (!TryBind(out var context, out var set, out var get)) return false;
        set(context(), false);
        return !get(context());
    }

    private static bool TryBind(out GlobalContext context, out SetEnabled set, out GetEnabled get)
    {
        context = null!;
        set = null!;
        get = null!;
        if (!OperatingSystem.IsLinux()) return false;
        _ = torch.get_num_threads(); // loads libtorch through TorchSharp, so the library below is the one in use
        if (!NativeLibrary.TryLoad("libtorch_cpu.so", out IntPtr library)) return false;
        if (!NativeLibrary.TryGetExport(library, GlobalContextSymbol, out IntPtr contextFn)
            || !NativeLibrary.TryGetExport(library, SetSymbol, out IntPtr setFn)
            || !NativeLibrary.TryGetExport(library, GetSymbol, out IntPtr getFn))
            return false;
        context = Marshal.GetDelegateForFunctionPointer<GlobalContext>(contextFn);
        set = Marshal.GetDelegateForFunctionPointer<SetEnabled>(setFn);
        get = Marshal.GetDelegateForFunctionPointer<GetEnabled>(getFn);
        return true;
    }
}
