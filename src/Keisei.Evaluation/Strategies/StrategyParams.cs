using System.Globalization;

namespace Keisei.Evaluation.Strategies;

/// <summary>A strategy or evaluation setting with a bad value; the message names the key path, what was expected and what was found.</summary>
public sealed class EvaluationConfigException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Typed reads from a parameter tree (values are strings, numbers, booleans, lists and string-keyed maps, as YAML or JSON
/// give them). Every error names the full key path.
/// </summary>
public sealed class ParamReader(IReadOnlyDictionary<string, object?> values, string path)
{
    public string Path { get; } = path;

    public IEnumerable<string> Keys => values.Keys;

    public bool Has(string key) => values.TryGetValue(key, out var v) && v is not null;

    private string KeyPath(string key) => $"{Path}.{key}";

    private EvaluationConfigException Error(string key, string expected, object? found) =>
        new($"{KeyPath(key)}: expected {expected}, found {Describe(found)}");

    private static string Describe(object? v) => v switch
    {
        null => "nothing",
        string s => $"'{s}'",
        IEnumerable<object?> => "a list",
        IReadOnlyDictionary<string, object?> => "a mapping",
        _ => $"'{Convert.ToString(v, CultureInfo.InvariantCulture)}'",
    };

    public string? String(string key, string? fallback = null) => values.TryGetValue(key, out var v) && v is not null
        ? v as string ?? Convert.ToString(v, CultureInfo.InvariantCulture)
        : fallback;

    public int Int(string key, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        if (!values.TryGetValue(key, out var v) || v is null) return fallback;
        int n = v switch
        {
            int i => i,
            long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
            string s when int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int p) => p,
            _ => throw Error(key, "an integer", v),
        };
        if (n < min || n > max) throw Error(key, $"an integer in {min}..{max}", v);
        return n;
    }

    public int? OptionalInt(string key, int min = int.MinValue) => Has(key) ? Int(key, 0, min) : null;

    public double Double(string key, double fallback)
    {
        if (!values.TryGetValue(key, out var v) || v is null) return fallback;
        return v switch
        {
            double d => d,
            float f => f,
            int i => i,
            long l => l,
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double p) => p,
            _ => throw Error(key, "a number", v),
        };
    }

    public bool Bool(string key, bool fallback)
    {
        if (!values.TryGetValue(key, out var v) || v is null) return fallback;
        return v switch
        {
            bool b => b,
            string s when bool.TryParse(s, out bool p) => p,
            _ => throw Error(key, "true or false", v),
        };
    }

    public IReadOnlyList<ParamReader> List(string key)
    {
        if (!values.TryGetValue(key, out var v) || v is null) return [];
        if (v is not IEnumerable<object?> items || v is string) throw Error(key, "a list of mappings", v);
        return items.Select((item, i) => item is IReadOnlyDictionary<string, object?> map
            ? new ParamReader(map, $"{KeyPath(key)}[{i}]")
            : throw Error($"{key}[{i}]", "a mapping", item)).ToList();
    }

    public ParamReader Map(string key)
    {
        if (!values.TryGetValue(key, out var v) || v is null) return new ParamReader(new Dictionary<string, object?>(), KeyPath(key));
        return v is IReadOnlyDictionary<string, object?> map ? new ParamReader(map, KeyPath(key)) : throw Error(key, "a mapping", v);
    }

    /// <summary>Rejects keys not in <paramref name="known"/>, suggesting the closest known one.</summary>
    public void RejectUnknown(params string[] known)
    {
        foreach (string key in values.Keys)
        {
            if (known.Contains(key)) continue;
            string? near = known.OrderBy(k => Distance(k, key)).FirstOrDefault(k => Distance(k, key) <= Math.Max(2, key.Length / 3));
            throw new EvaluationConfigException($"{KeyPath(key)}: unknown key{(near is null ? "" : $" (did you mean '{near}'?)")}; known keys: {string.Join(", ", known)}");
        }
    }

    /// <summary>Levenshtein distance, for "did you mean" suggestions.</summary>
    public static int Distance(string a, string b)
    {
        var row = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) row[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            int previous = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int current = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = current;
            }
        }
        return row[b.Length];
    }
}
