using System.Collections.Concurrent;
using TorchSharp;

namespace Keisei.Neural;

/// <summary>
/// TorchSharp scalars that live for the whole process, one per distinct value: safe to pass to any libtorch call.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 gives libtorch the native handle of a <see cref="Scalar"/> without keeping the managed object alive
/// during the call. A Scalar made on the fly (<c>t.masked_fill(m, float.NegativeInfinity)</c>, <c>t * 0.5</c>) is garbage
/// as soon as its handle is read, so a garbage collection during the call can run its finalizer, which frees the native
/// scalar while libtorch still reads it: the call then uses whatever the freed memory holds (a wrong value, NaN) or fails
/// with <c>Expected false to be true</c>. See README, "Numerical integrity". The build's analyzer (KEISEI001) rejects
/// such temporaries; use <see cref="Of(double)"/> for constants and settings (values that repeat), and a
/// <c>using var s = value.ToScalar()</c> local for values that change at every call.
/// </remarks>
public static class Scalars
{
    private static readonly ConcurrentDictionary<(TypeCode, long), Scalar> Cache = new();

    /// <summary>A float64 scalar of <paramref name="value"/>, kept alive for the life of the process.</summary>
    public static Scalar Of(double value) => Cache.GetOrAdd((TypeCode.Double, BitConverter.DoubleToInt64Bits(value)), _ => value.ToScalar());

    /// <summary>A float32 scalar of <paramref name="value"/> (for fills that must be exactly a float, such as −∞), kept alive.</summary>
    public static Scalar Of(float value) => Cache.GetOrAdd((TypeCode.Single, BitConverter.SingleToInt32Bits(value)), _ => value.ToScalar());

    /// <summary>An integer scalar of <paramref name="value"/>, kept alive for the life of the process.</summary>
    public static Scalar Of(long value) => Cache.GetOrAdd((TypeCode.Int64, value), _ => value.ToScalar());

    /// <summary>A boolean scalar, kept alive for the life of the process.</summary>
    public static Scalar Of(bool value) => Cache.GetOrAdd((TypeCode.Boolean, value ? 1 : 0), _ => value.ToScalar());
}
