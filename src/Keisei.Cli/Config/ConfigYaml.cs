using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Keisei.Cli.Config;

/// <summary>Writes config values as YAML in schema order, quoting strings only where a reader could take them for something else.</summary>
internal static partial class ConfigYaml
{
    public static string Write(IReadOnlyDictionary<string, object?> values, string? header, bool comments)
    {
        var sb = new StringBuilder();
        if (header is not null)
            foreach (string line in header.Split('\n')) sb.Append("# ").Append(line).Append('\n');
        if (header is not null) sb.Append('\n');
        foreach (var key in ConfigSchema.Root)
        {
            if (key.Type == ConfigType.Section)
            {
                sb.Append('\n');
                if (comments) sb.Append("# ").Append(key.Description).Append('\n');
                sb.Append(key.Name).Append(":\n");
                WriteSection(sb, key, key.Name + ".", values, 2, comments);
            }
            else
            {
                if (comments) sb.Append("# ").Append(key.Description).Append('\n');
                Entry(sb, 0, key.Name, values[key.Name]);
            }
        }
        return sb.ToString();
    }

    private static void WriteSection(StringBuilder sb, ConfigKey section, string prefix, IReadOnlyDictionary<string, object?> values, int indent, bool comments)
    {
        string pad = new(' ', indent);
        foreach (var key in section.Children)
        {
            if (comments) sb.Append(pad).Append("# ").Append(key.Description).Append('\n');
            if (key.Type == ConfigType.Section)
            {
                sb.Append(pad).Append(key.Name).Append(":\n");
                WriteSection(sb, key, prefix + key.Name + ".", values, indent + 2, comments);
            }
            else
            {
                Entry(sb, indent, key.Name, values[prefix + key.Name]);
            }
        }
    }

    private static void Entry(StringBuilder sb, int indent, string key, object? value)
    {
        string pad = new(' ', indent);
        switch (value)
        {
            case IReadOnlyDictionary<string, object?> { Count: > 0 } map:
                sb.Append(pad).Append(Scalar(key)).Append(":\n");
                foreach (var (k, v) in map) Entry(sb, indent + 2, k, v);
                break;
            case IReadOnlyList<object?> { Count: > 0 } list:
                sb.Append(pad).Append(Scalar(key)).Append(":\n");
                foreach (var item in list) Item(sb, indent + 2, item);
                break;
            default:
                sb.Append(pad).Append(Scalar(key)).Append(": ").Append(Scalar(value)).Append('\n');
                break;
        }
    }

    private static void Item(StringBuilder sb, int indent, object? item)
    {
        string pad = new(' ', indent);
        switch (item)
        {
            case IReadOnlyDictionary<string, object?> { Count: > 0 } map:
                var inner = new StringBuilder();
                foreach (var (k, v) in map) Entry(inner, indent + 2, k, v);
                sb.Append(pad).Append("- ").Append(inner.ToString(indent + 2, inner.Length - indent - 2));
                break;
            case IReadOnlyList<object?> { Count: > 0 } list:
                sb.Append(pad).Append("-\n");
                foreach (var child in list) Item(sb, indent + 2, child);
                break;
            default:
                sb.Append(pad).Append("- ").Append(Scalar(item)).Append('\n');
                break;
        }
    }

    /// <summary>A scalar as YAML text that <see cref="YamlTree"/> reads back as the same value.</summary>
    public static string Scalar(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        double d => Number(d),
        string s => Text(s),
        IReadOnlyDictionary<string, object?> => "{}",
        IReadOnlyList<object?> => "[]",
        _ => Text(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
    };

    private static string Number(double d)
    {
        if (double.IsNaN(d)) return ".nan";
        if (double.IsInfinity(d)) return d > 0 ? ".inf" : "-.inf";
        if (Math.Floor(d) == d && Math.Abs(d) < 1e15) return d.ToString("0.0", CultureInfo.InvariantCulture);
        return d.ToString("R", CultureInfo.InvariantCulture);
    }

    private static string Text(string s)
    {
        bool plain = Plain().IsMatch(s) && !Ambiguous.Contains(s.ToLowerInvariant()) && YamlTree.ParseScalar(s) is string t && t == s;
        return plain ? s : JsonSerializer.Serialize(s, Quoted);
    }

    private static readonly JsonSerializerOptions Quoted = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly HashSet<string> Ambiguous = ["yes", "no", "on", "off", "y", "n", "true", "false", "null", "~"];

    [GeneratedRegex(@"^[A-Za-z_/.][A-Za-z0-9_.+/\-]*(:[A-Za-z0-9_.+/\-]+)*$")]
    private static partial Regex Plain();
}
