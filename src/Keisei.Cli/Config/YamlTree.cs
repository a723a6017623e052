using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Keisei.Cli.Config;

/// <summary>A YAML file read as a plain tree (maps, lists, scalars typed as bool/long/double/string/null) with each key's line.</summary>
public sealed class YamlTree
{
    private YamlTree(string path, IReadOnlyDictionary<string, object?> root, IReadOnlyDictionary<string, int> lines)
    {
        Path = path;
        Root = root;
        Lines = lines;
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, object?> Root { get; }

    /// <summary>Line of each key by its dotted path (<c>evaluation.num_games</c>; list items as <c>[i]</c>).</summary>
    public IReadOnlyDictionary<string, int> Lines { get; }

    /// <summary>Reads a YAML file whose top level is a mapping.</summary>
    /// <exception cref="UserInputException">Missing file or invalid YAML; the message names the file and line.</exception>
    public static YamlTree Load(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"config file '{path}' does not exist");
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new UserInputException($"{path}, line {e.Start.Line}: invalid YAML: {e.InnerException?.Message ?? e.Message}", e);
        }
        var lines = new Dictionary<string, int>();
        if (stream.Documents.Count == 0) return new YamlTree(path, new Dictionary<string, object?>(), lines);
        if (stream.Documents[0].RootNode is not YamlMappingNode map)
            throw new UserInputException($"{path}, line {stream.Documents[0].RootNode.Start.Line}: expected a mapping of sections at the top level");
        return new YamlTree(path, Map(map, "", lines), lines);
    }

    /// <summary>Reads one value written as YAML text (a command-line <c>--set k=v</c>), typed like the scalars of a file.</summary>
    /// <exception cref="UserInputException">The text is not valid YAML or is a list or mapping.</exception>
    public static object? ParseScalar(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new UserInputException($"invalid YAML value '{text}': {e.InnerException?.Message ?? e.Message}", e);
        }
        if (stream.Documents.Count == 0) return null;
        return stream.Documents[0].RootNode is YamlScalarNode scalar
            ? Scalar(scalar)
            : throw new UserInputException($"expected a single value, found '{text}' (lists and mappings cannot be given here)");
    }

    /// <summary>"file, line N" for a key path, or just the file when unknown.</summary>
    public string Where(string keyPath) => Lines.TryGetValue(keyPath, out int line) ? $"{Path}, line {line}" : Path;

    private static Dictionary<string, object?> Map(YamlMappingNode node, string prefix, Dictionary<string, int> lines)
    {
        var result = new Dictionary<string, object?>();
        foreach (var (keyNode, valueNode) in node.Children)
        {
            string key = ((YamlScalarNode)keyNode).Value ?? "";
            string path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            lines[path] = (int)keyNode.Start.Line;
            result[key] = Value(valueNode, path, lines);
        }
        return result;
    }

    private static object? Value(YamlNode node, string path, Dictionary<string, int> lines) => node switch
    {
        YamlMappingNode m => Map(m, path, lines),
        YamlSequenceNode s => s.Children.Select((child, i) =>
        {
            lines[$"{path}[{i}]"] = (int)child.Start.Line;
            return Value(child, $"{path}[{i}]", lines);
        }).ToList(),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    private static object? Scalar(YamlScalarNode node)
    {
        string? text = node.Value;
        if (node.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted) return text;
        if (text is null || text is "~" or "null" or "Null" or "NULL" or "") return null;
        if (text is "true" or "True" or "TRUE") return true;
        if (text is "false" or "False" or "FALSE") return false;
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l)) return l;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) return d;
        return text;
    }
}
