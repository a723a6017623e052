namespace Keisei.Shogi;

/// <summary>
/// The one reader of <c>key=value</c> text given on the command line: a single pair (<c>--set</c>, <c>--usi-option</c>,
/// <c>--usi-limit</c>) or a comma-separated list of pairs (<c>--sprt</c>, search settings). Keys and values are trimmed; a
/// value may itself contain '=' (only the first one splits).
/// </summary>
public static class KeyValues
{
    /// <summary>The key and value of <c>key=value</c>, or null when there is no '=' or nothing before it.</summary>
    public static (string Key, string Value)? Pair(string text)
    {
        int eq = text.IndexOf('=');
        if (eq <= 0 || text[..eq].Trim().Length == 0) return null;
        return (text[..eq].Trim(), text[(eq + 1)..].Trim());
    }

    /// <summary>
    /// The pairs of <c>k1=v1,k2=v2,...</c> in order, keys lower-cased. <paramref name="what"/> names the list in messages
    /// (e.g. "SPRT parameter"); <paramref name="known"/> are the keys allowed.
    /// </summary>
    /// <exception cref="FormatException">An empty entry, an entry without '=', a key given twice, or an unknown key.</exception>
    public static IReadOnlyList<(string Key, string Value)> List(string text, string what, IReadOnlyCollection<string> known)
    {
        var pairs = new List<(string Key, string Value)>();
        foreach (string raw in text.Split(','))
        {
            string part = raw.Trim();
            if (part.Length == 0) throw new FormatException($"{what}s '{text}' contain an empty entry");
            if (Pair(part) is not { } pair) throw new FormatException($"{what} '{part}' has no '=' (expected key=value)");
            string key = pair.Key.ToLowerInvariant();
            if (!known.Contains(key)) throw new FormatException($"unknown {what} '{pair.Key}' (known: {string.Join(", ", known)})");
            if (pairs.Any(p => p.Key == key)) throw new FormatException($"{what} '{key}' is given twice");
            pairs.Add((key, pair.Value));
        }
        return pairs;
    }
}
