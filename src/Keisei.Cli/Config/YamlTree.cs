using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Keisei.Cli.Config;

/// <summary>A YAML file read as a plain tree (maps, lists, scalars typed as bool/long/double/string/null) with each key's line.</summary>
/// <remarks>
/// Input is checked before YamlDotNet builds its node tree: UTF-8 text without control characters, at most
/// <see cref="MaxFileBytes"/>, one document, keys that are plain values, nesting at most <see cref="MaxDepth"/> deep,
/// no alias inside the node it names, and at most <see cref="MaxNodes"/> values once aliases are expanded.
/// </remarks>
public sealed class YamlTree
{
    /// <summary>Largest config file read (config files are a few kilobytes).</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>Deepest nesting of mappings and lists.</summary>
    public const int MaxDepth = 32;

    /// <summary>Most values (keys' values, list items) in a file, counting each use of an alias in full.</summary>
    public const int MaxNodes = 100_000;

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
    /// <exception cref="UserInputException">Missing, unreadable or invalid file; the message names the file and, where known, the line.</exception>
    public static YamlTree Load(string path)
    {
        string text = CliPaths.ReadText("config file", path, MaxFileBytes);
        var stream = Parse(text, path, $"{path}, line ");
        var lines = new Dictionary<string, int>();
        if (stream.Documents.Count == 0)
            return new YamlTree(path, new Dictionary<string, object?>(), lines);
        if (stream.Documents[0].RootNode is not YamlMappingNode map)
            throw new UserInputException($"{path}, line {stream.Documents[0].RootNode.Start.Line}: expected a mapping of sections at the top level, found {Kind(stream.Documents[0].RootNode)}");
        var budget = new Budget(path);
        return new YamlTree(path, Map(map, "", lines, budget, 1), lines);
    }

    /// <summary>Reads one value written as YAML text (a command-line <c>--set k=v</c>), typed like the scalars of a file.</summary>
    /// <exception cref="UserInputException">The text is not valid YAML or is a list or mapping.</exception>
    public static object? ParseScalar(string text)
    {
        if (FirstControl(text) is { } bad) throw new UserInputException($"expected text, found control character U+{(int)text[bad]:X4} in '{Printable(text)}'");
        var stream = Parse(text, null, $"'{text}', line ");
        if (stream.Documents.Count == 0) return null;
        return stream.Documents[0].RootNode is YamlScalarNode scalar
            ? Scalar(scalar)
            : throw new UserInputException($"expected a single value, found '{text}' (lists and mappings cannot be given here)");
    }

    /// <summary>"file, line N" for a key path, or just the file when unknown.</summary>
    public string Where(string keyPath) => Lines.TryGetValue(keyPath, out int line) ? $"{Path}, line {line}" : Path;

    /// <summary>Index of the first character YAML text may not hold (NUL and other C0/C1 controls except tab, CR, LF; U+FFFE, U+FFFF), or null.</summary>
    internal static int? FirstControl(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if ((c < 0x20 && c is not ('\t' or '\n' or '\r')) || c is >= '\u007F' and <= '\u009F' && c != '\u0085' || c is '\uFFFE' or '\uFFFF') return i;
        }
        return null;
    }

    private static string Printable(string text) => new(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());

    /// <summary>
    /// Checks the event stream (iteratively, so no input can exhaust the stack) and then builds the node tree. A file's
    /// errors start with <paramref name="linePrefix"/> followed by the line.
    /// </summary>
    private static YamlStream Parse(string text, string? file, string linePrefix)
    {
        int textStart = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
        if (file is not null && FirstControl(text[textStart..]) is { } bad)
        {
            int line = 1 + text.AsSpan(0, bad + textStart).Count('\n');
            char c = text[bad + textStart];
            throw new UserInputException($"{linePrefix}{line}: expected YAML text, found {(c == '\0' ? "a NUL byte" : $"control character U+{(int)c:X4}")} (is this a binary file?)");
        }
        try
        {
            Check(new Parser(new StringReader(text)), linePrefix);
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            return stream;
        }
        catch (YamlException e)
        {
            throw new UserInputException($"{linePrefix}{e.Start.Line}: invalid YAML: {e.InnerException?.Message ?? e.Message}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // YamlDotNet reports some malformed input (an unclosed flow list before a key) with these instead of a YamlException.
            throw new UserInputException($"{file ?? linePrefix.TrimEnd(' ', ',', 'l', 'i', 'n', 'e')}: invalid YAML: {e.Message}", e);
        }
    }

    /// <summary>One open mapping or list while checking events: the anchor it defines and, for a mapping, whether a key comes next.</summary>
    private sealed class Frame(string? anchor, bool isMapping)
    {
        public string? Anchor { get; } = anchor;
        public bool IsMapping { get; } = isMapping;
        public bool KeyNext { get; set; } = isMapping;
    }

    private static void Check(Parser parser, string linePrefix)
    {
        var open = new List<Frame>();
        int documents = 0;
        long line = 1;
        while (Next(parser, linePrefix, line))
        {
            var e = parser.Current!;
            line = e.Start.Line;
            if (e is DocumentStart && ++documents > 1)
                throw new UserInputException($"{linePrefix}{line}: expected one YAML document, found a second one (a config file holds one document)");
            var parent = open.Count > 0 ? open[^1] : null;
            bool atKey = parent is { IsMapping: true, KeyNext: true };
            switch (e)
            {
                case MappingStart or SequenceStart:
                    if (atKey) throw new UserInputException($"{linePrefix}{line}: expected a plain key, found {(e is MappingStart ? "a mapping" : "a list")} used as a key");
                    if (open.Count >= MaxDepth) throw new UserInputException($"{linePrefix}{line}: expected mappings and lists nested at most {MaxDepth} deep, found deeper nesting");
                    var anchor = ((NodeEvent)e).Anchor;
                    open.Add(new Frame(anchor.IsEmpty ? null : anchor.Value, e is MappingStart));
                    continue;
                case MappingEnd or SequenceEnd:
                    if (open.Count > 0) open.RemoveAt(open.Count - 1);
                    break;
                case AnchorAlias alias:
                    if (atKey) throw new UserInputException($"{linePrefix}{line}: expected a plain key, found the alias *{alias.Value.Value} used as a key");
                    if (open.Any(f => f.Anchor == alias.Value.Value))
                        throw new UserInputException($"{linePrefix}{line}: the alias *{alias.Value.Value} refers to a value that contains it (a cycle)");
                    break;
                case YamlDotNet.Core.Events.Scalar:
                    break;
                default:
                    continue;
            }
            // A complete node (scalar, alias, or a closed mapping or list) fills a key or a value of the enclosing mapping.
            if (open.Count > 0 && open[^1].IsMapping) open[^1].KeyNext = !open[^1].KeyNext;
        }
    }

    /// <summary>The parser's next event; YamlDotNet's own failures other than <see cref="YamlException"/> are reported after the last line read.</summary>
    private static bool Next(Parser parser, string linePrefix, long line)
    {
        try
        {
            return parser.MoveNext();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            throw new UserInputException($"{linePrefix}{line}: invalid YAML after this line (an unclosed '[', '{{' or quote?): {e.Message}", e);
        }
    }

    /// <summary>Counts values as the tree is built, so that aliases cannot expand a small file into a huge tree.</summary>
    private sealed class Budget(string path)
    {
        private int _nodes;

        public void Take(YamlNode node, int depth)
        {
            if (++_nodes > MaxNodes)
                throw new UserInputException($"{path}, line {node.Start.Line}: expected at most {MaxNodes:N0} values (aliases counted in full), found more");
            if (depth > MaxDepth)
                throw new UserInputException($"{path}, line {node.Start.Line}: expected mappings and lists nested at most {MaxDepth} deep (aliases included), found deeper nesting");
        }
    }

    private static string Kind(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s => $"'{s.Value}'",
        _ => "something else",
    };

    private static Dictionary<string, object?> Map(YamlMappingNode node, string prefix, Dictionary<string, int> lines, Budget budget, int depth)
    {
        var result = new Dictionary<string, object?>();
        foreach (var (keyNode, valueNode) in node.Children)
        {
            string key = ((YamlScalarNode)keyNode).Value ?? ""; // Check admits only scalar keys
            string path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            lines[path] = (int)keyNode.Start.Line;
            budget.Take(valueNode, depth);
            result[key] = Value(valueNode, path, lines, budget, depth);
        }
        return result;
    }

    private static object? Value(YamlNode node, string path, Dictionary<string, int> lines, Budget budget, int depth) => node switch
    {
        YamlMappingNode m => Map(m, path, lines, budget, depth + 1),
        YamlSequenceNode s => s.Children.Select((child, i) =>
        {
            lines[$"{path}[{i}]"] = (int)child.Start.Line;
            budget.Take(child, depth + 1);
            return Value(child, $"{path}[{i}]", lines, budget, depth + 1);
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
