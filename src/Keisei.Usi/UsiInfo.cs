using System.Globalization;

namespace Keisei.Usi;

/// <summary>The fields of one <c>info</c> line that a match runner keeps.</summary>
internal readonly record struct UsiInfo(int? Depth, long? Nodes, int? MultiPv, UsiScore? Score, IReadOnlyList<string>? Pv)
{
    /// <summary>Parses an <c>info</c> line; unknown tokens and unparsable numbers are skipped.</summary>
    public static UsiInfo Parse(string line)
    {
        var t = UsiTokens.Split(line);
        int? depth = null, multiPv = null;
        long? nodes = null;
        UsiScore? score = null;
        List<string>? pv = null;
        int i = t.Length > 0 && t[0] == "info" ? 1 : 0;
        while (i < t.Length)
        {
            switch (t[i++])
            {
                case "depth": depth = Int(t, ref i) ?? depth; break;
                case "nodes": nodes = Long(t, ref i) ?? nodes; break;
                case "multipv": multiPv = Int(t, ref i) ?? multiPv; break;
                case "seldepth" or "time" or "nps" or "hashfull" or "currmove" or "currmovenumber" or "cpuload" or "tbhits":
                    if (i < t.Length) i++;
                    break;
                case "score":
                    score = ParseScore(t, ref i) ?? score;
                    break;
                case "lowerbound" when score is { } s:
                    score = s with { Bound = UsiScoreBound.LowerBound };
                    break;
                case "upperbound" when score is { } s:
                    score = s with { Bound = UsiScoreBound.UpperBound };
                    break;
                case "pv":
                    pv = [];
                    while (i < t.Length && !IsPvTerminator(t[i])) pv.Add(t[i++]);
                    break;
                case "string":
                    i = t.Length; // the rest of the line is free text
                    break;
            }
        }
        return new UsiInfo(depth, nodes, multiPv, score, pv);
    }

    // pv runs to the end of the line in USI, but some engines put fields after it; stop at the ones that cannot be moves.
    private static bool IsPvTerminator(string token) => token is "depth" or "seldepth" or "time" or "nodes" or "score" or "multipv" or "nps" or "hashfull" or "string" or "currmove";

    private static UsiScore? ParseScore(string[] t, ref int i)
    {
        if (i + 1 >= t.Length) return null;
        string kind = t[i], value = t[i + 1];
        UsiScore? score = null;
        if (kind == "cp" && int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int cp))
            score = new UsiScore(false, cp);
        else if (kind == "mate")
        {
            if (value == "+") score = new UsiScore(true, int.MaxValue);
            else if (value == "-") score = new UsiScore(true, -int.MaxValue);
            else if (int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int plies))
                score = new UsiScore(true, plies);
        }
        if (score is not null) i += 2;
        return score;
    }

    private static int? Int(string[] t, ref int i)
    {
        if (i >= t.Length || !int.TryParse(t[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v)) return null;
        i++;
        return v;
    }

    private static long? Long(string[] t, ref int i)
    {
        if (i >= t.Length || !long.TryParse(t[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)) return null;
        i++;
        return v;
    }
}
