using Keisei.Neural.Native;

namespace Keisei.Neural.Tests;

public sealed class CpuFeaturesTests
{
    private const string Cpuinfo = """
        processor	: 0
        vendor_id	: GenuineIntel
        flags		: fpu vme avx512f avx512bw {0} avx512vl
        bogomips	: 4200.00

        processor	: 1
        flags		: fpu vme avx512f avx512bw {0} avx512vl
        """;

    [Theory]
    [InlineData("avx512_bf16", true)]  // AMD Zen 4, Intel Cooper Lake and later
    [InlineData("amx_bf16", true)]     // Intel Sapphire Rapids and later
    [InlineData("avx512_vnni", false)] // AVX-512 without bfloat16 arithmetic
    [InlineData("avx512_bf16x", false)] // a whole flag, not a prefix
    public void NativeBfloat16IsReadFromTheFlagsLine(string flag, bool expected)
    {
        var flags = CpuFeatures.ParseFlags(string.Format(System.Globalization.CultureInfo.InvariantCulture, Cpuinfo, flag));
        Assert.Contains("avx512f", flags);
        Assert.Equal(expected, CpuFeatures.HasNativeBfloat16(flags));
    }

    [Fact]
    public void TextWithoutAFlagsLineHasNoFlags() => Assert.Empty(CpuFeatures.ParseFlags("processor\t: 0\nmodel name\t: something\n"));
}
