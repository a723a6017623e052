using System.Buffers.Text;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Keisei.Dashboard;

/// <summary>One point of a metric: its row (line) in metrics.jsonl, the training step, seconds since the first row, cumulative self-play games, the value.</summary>
public readonly record struct MetricPoint(int Row, long Step, double Seconds, long Games, double Value);

/// <summary>
/// A run's <c>metrics.jsonl</c> (one JSON object per line: <c>timesteps</c>, <c>time</c> and scalars by tag), read
/// incrementally: each <see cref="Update"/> parses only the bytes added since the last one (a line still being written
/// waits for its newline), so a file of 100,000 rows is parsed once and then followed. Rows are numbered from 0 in file
/// order; a file that shrank or was replaced is read again from the start. Lines that are not such objects are skipped
/// and reported in <see cref="Problems"/> with their line numbers. Thread-safe.
/// </summary>
public sealed class MetricsLog(string path)
{
    /// <summary>The tag whose per-update values add up to the self-play games played (the x-axis "games").</summary>
    public const string EpisodesTag = "selfplay/episodes";

    private const int MaxProblems = 20;

    private readonly Lock _lock = new();
    private readonly List<long> _steps = [];
    private readonly List<double> _seconds = [];
    private readonly List<long> _games = [];
    private readonly Dictionary<string, Series> _series = new(StringComparer.Ordinal);
    private readonly List<string> _problems = [];
    private long _offset;
    private int _lineNumber;
    private DateTimeOffset? _start;
    private long _totalGames;
    private DateTime _lastWrite;

    private readonly List<(Series Series, double Value)> _values = new(64);
    private readonly List<(byte[] Name, Series Series)> _lastLine = [];

    private sealed class Series
    {
        public bool IsEpisodes;
        public readonly List<int> Rows = [];
        public readonly List<double> Values = [];
    }

    /// <summary>The file read.</summary>
    public string Path { get; } = path;

    private Dictionary<string, Series>.AlternateLookup<ReadOnlySpan<char>> ByName => _series.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Rows read so far (the cursor a client passes back as <c>since</c>).</summary>
    public int Rows
    {
        get
        {
            lock (_lock) return _steps.Count;
        }
    }

    /// <summary>The time of the first row, or null before any.</summary>
    public DateTimeOffset? Start
    {
        get
        {
            lock (_lock) return _start;
        }
    }

    /// <summary>Lines that could not be read ("metrics.jsonl line N: ..."), the first 20.</summary>
    public IReadOnlyList<string> Problems
    {
        get
        {
            lock (_lock) return [.. _problems];
        }
    }

    /// <summary>Reads what was appended since the last call; returns the number of rows now known.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Update()
    {
        lock (_lock)
        {
            var info = new FileInfo(Path);
            if (!info.Exists)
            {
                if (_offset > 0) Reset();
                return 0;
            }
            // A shorter file, or one written at an older time than we saw, was replaced: read it again.
            if (info.Length < _offset || info.LastWriteTimeUtc < _lastWrite) Reset();
            _lastWrite = info.LastWriteTimeUtc;
            if (info.Length == _offset) return _steps.Count;
            using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
            stream.Seek(_offset, SeekOrigin.Begin);
            long length = info.Length - _offset;
            var buffer = new byte[Math.Min(length, 1 << 22)];
            long consumedTotal = 0;
            int carried = 0;
            while (true)
            {
                int read = stream.Read(buffer, carried, buffer.Length - carried);
                int available = carried + read;
                if (available == 0) break;
                var span = buffer.AsSpan(0, available);
                int consumed = 0;
                while (true)
                {
                    int newline = span[consumed..].IndexOf((byte)'\n');
                    if (newline < 0) break;
                    ParseLine(span.Slice(consumed, newline));
                    consumed += newline + 1;
                }
                consumedTotal += consumed;
                carried = available - consumed;
                if (read == 0) break;
                if (carried == buffer.Length)
                {
                    // A line longer than the buffer: grow it.
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
                else if (carried > 0) span[consumed..].CopyTo(buffer);
            }
            _offset += consumedTotal;
            return _steps.Count;
        }
    }

    private void Reset()
    {
        _steps.Clear();
        _seconds.Clear();
        _games.Clear();
        _series.Clear();
        _lastLine.Clear();
        _problems.Clear();
        _offset = 0;
        _lineNumber = 0;
        _start = null;
        _totalGames = 0;
        _lastWrite = default;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ParseLine(ReadOnlySpan<byte> line)
    {
        _lineNumber++;
        if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
        if (line.IsEmpty || line.IndexOfAnyExcept((byte)' ', (byte)'\t') < 0) return;
        if (TryParseCompact(line, out long compactStep, out var compactTime))
        {
            AddRow(compactStep, compactTime);
            return;
        }
        long? step = null;
        DateTimeOffset? time = null;
        _values.Clear();
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new FormatException("expected a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("timesteps"u8))
                {
                    reader.Read();
                    step = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long s) ? s
                        : throw new FormatException($"expected \"timesteps\" to be a whole number, found {reader.TokenType}");
                }
                else if (reader.ValueTextEquals("time"u8))
                {
                    reader.Read();
                    time = reader.TokenType == JsonTokenType.String && ParseTime(ref reader, out var t) ? t : throw new FormatException("expected \"time\" to be an ISO 8601 time");
                }
                else
                {
                    var series = SeriesNamed(ref reader);
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number) _values.Add((series, reader.GetDouble()));
                    else reader.Skip(); // null (a non-finite value) and anything else is no point
                }
            }
            if (step is null || time is null) throw new FormatException($"expected \"timesteps\" and \"time\", found {(step is null ? "no timesteps" : "no time")}");
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            if (_problems.Count < MaxProblems) _problems.Add($"{System.IO.Path.GetFileName(Path)} line {_lineNumber}: {e.Message}");
            return;
        }
        AddRow(step.Value, time.Value);
    }

    /// <summary>Adds a row of <paramref name="step"/> at <paramref name="time"/> with the values collected in <see cref="_values"/>.</summary>
    private void AddRow(long step, DateTimeOffset time)
    {
        _start ??= time;
        int row = _steps.Count;
        _steps.Add(step);
        _seconds.Add((time - _start.Value).TotalSeconds);
        foreach (var (series, value) in _values)
        {
            if (series.IsEpisodes) _totalGames += (long)value;
            series.Rows.Add(row);
            series.Values.Add(value);
        }
        _games.Add(_totalGames);
    }

    /// <summary>
    /// The trainer's own line form read without a JSON reader, so that a big file is indexed quickly even before the JIT has
    /// optimised anything: <c>{"timesteps":N,"time":"ISO 8601","tag":number-or-null,...}</c> with no whitespace and no escapes.
    /// Fills <see cref="_values"/>; returns false (having added no row) for anything else, which the JSON reader then reads
    /// (and reports if it is not a row), so both read the same rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryParseCompact(ReadOnlySpan<byte> line, out long step, out DateTimeOffset time)
    {
        time = default;
        step = 0;
        _values.Clear();
        if (!line.StartsWith("{\"timesteps\":"u8) || line[^1] != (byte)'}') return false;
        int i = "{\"timesteps\":"u8.Length;
        int end = line.Length - 1; // the closing brace
        int stepEnd = line[i..end].IndexOf((byte)',');
        if (stepEnd < 0 || !IsJsonInteger(line.Slice(i, stepEnd)) || !Utf8Parser.TryParse(line.Slice(i, stepEnd), out step, out int used) || used != stepEnd) return false;
        i += stepEnd;
        if (!line[i..].StartsWith(",\"time\":\""u8)) return false;
        i += ",\"time\":\""u8.Length;
        int timeEnd = line[i..end].IndexOfAny((byte)'"', (byte)'\\');
        if (timeEnd < 0 || line[i + timeEnd] != (byte)'"'
            || !Utf8Parser.TryParse(line.Slice(i, timeEnd), out time, out used, 'O') || used != timeEnd) return false;
        i += timeEnd + 1;
        int property = 0;
        while (i < end)
        {
            // ,"tag":value
            if (line[i] != (byte)',' || i + 1 >= end || line[i + 1] != (byte)'"') return false;
            i += 2;
            int nameEnd = line[i..end].IndexOfAny((byte)'"', (byte)'\\');
            if (nameEnd < 0 || line[i + nameEnd] != (byte)'"') return false;
            var name = line.Slice(i, nameEnd);
            i += nameEnd + 1;
            if (i >= end || line[i] != (byte)':') return false;
            i++;
            int valueEnd = line[i..end].IndexOf((byte)',');
            if (valueEnd < 0) valueEnd = end - i;
            var value = line.Slice(i, valueEnd);
            i += valueEnd;
            if (name.SequenceEqual("timesteps"u8) || name.SequenceEqual("time"u8)) return false;
            if (value.SequenceEqual("null"u8))
            {
                property++;
                continue;
            }
            // As the JSON reader reads a number: with the exponent format when it has one.
            char format = value.IndexOfAny((byte)'e', (byte)'E') >= 0 ? 'e' : default;
            if (!IsJsonNumber(value) || !Utf8Parser.TryParse(value, out double number, out used, format) || used != value.Length || !double.IsFinite(number)) return false;
            if (SeriesAt(property++, name) is not { } series) return false;
            _values.Add((series, number));
        }
        return true;
    }

    /// <summary>The series of a tag at its place in the line: the previous line's tag at that place when it is the same (no lookup); null for a name JSON does not allow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Series? SeriesAt(int property, ReadOnlySpan<byte> name)
    {
        if (property < _lastLine.Count && name.SequenceEqual(_lastLine[property].Name)) return _lastLine[property].Series;
        // Not a valid JSON string (bad UTF-8, control characters): the JSON reader reports it.
        if (!System.Text.Unicode.Utf8.IsValid(name) || name.IndexOfAnyInRange((byte)0, (byte)0x1F) >= 0) return null;
        string tag = System.Text.Encoding.UTF8.GetString(name);
        if (!_series.TryGetValue(tag, out var series)) _series[tag] = series = new Series { IsEpisodes = tag == EpisodesTag };
        var entry = (name.ToArray(), series);
        if (property < _lastLine.Count) _lastLine[property] = entry;
        else if (property == _lastLine.Count) _lastLine.Add(entry);
        return series;
    }

    /// <summary>A JSON integer: an optional minus, then 0 or digits not starting with 0.</summary>
    private static bool IsJsonInteger(ReadOnlySpan<byte> s)
    {
        if (!s.IsEmpty && s[0] == (byte)'-') s = s[1..];
        if (s.IsEmpty || (s[0] == (byte)'0' && s.Length > 1)) return false;
        return s.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0;
    }

    /// <summary>A JSON number: integer part, optional fraction (. and digits), optional exponent (e or E, optional sign, digits).</summary>
    private static bool IsJsonNumber(ReadOnlySpan<byte> s)
    {
        int i = 0;
        if (i < s.Length && s[i] == (byte)'-') i++;
        int digits = Digits(s, i);
        if (digits == 0 || (s[i] == (byte)'0' && digits > 1)) return false;
        i += digits;
        if (i < s.Length && s[i] == (byte)'.')
        {
            digits = Digits(s, ++i);
            if (digits == 0) return false;
            i += digits;
        }
        if (i < s.Length && (s[i] | 0x20) == (byte)'e')
        {
            i++;
            if (i < s.Length && (s[i] == (byte)'+' || s[i] == (byte)'-')) i++;
            digits = Digits(s, i);
            if (digits == 0) return false;
            i += digits;
        }
        return i == s.Length;

        static int Digits(ReadOnlySpan<byte> s, int from)
        {
            int n = s[from..].IndexOfAnyExceptInRange((byte)'0', (byte)'9');
            return n < 0 ? s.Length - from : n;
        }
    }

    /// <summary>The series of the property name under the reader, found without allocating once the tag is known.</summary>
    private Series SeriesNamed(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence && reader.ValueSpan.Length <= 256)
        {
            Span<char> chars = stackalloc char[256];
            int n = System.Text.Encoding.UTF8.GetChars(reader.ValueSpan, chars);
            if (ByName.TryGetValue(chars[..n], out var known)) return known;
        }
        string name = reader.GetString()!;
        if (!_series.TryGetValue(name, out var series)) _series[name] = series = new Series { IsEpisodes = name == EpisodesTag };
        return series;
    }

    /// <summary>The trainer's round-trip time (<c>2025-01-02T03:04:05.0000000+00:00</c>) read in place; other ISO 8601 forms through the parser.</summary>
    private static bool ParseTime(ref Utf8JsonReader reader, out DateTimeOffset time)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence && System.Buffers.Text.Utf8Parser.TryParse(reader.ValueSpan, out time, out int used, 'O') && used == reader.ValueSpan.Length)
            return true;
        return DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out time);
    }

    /// <summary>The tags with at least one (finite) value so far, sorted.</summary>
    public IReadOnlyList<string> Tags()
    {
        lock (_lock) return [.. _series.Where(kv => kv.Value.Rows.Count > 0).Select(kv => kv.Key).Order(StringComparer.Ordinal)];
    }

    /// <summary>The last row's step, seconds and games, or null before any row.</summary>
    public (long Step, double Seconds, long Games)? Last()
    {
        lock (_lock) return _steps.Count == 0 ? null : (_steps[^1], _seconds[^1], _games[^1]);
    }

    /// <summary>The last value of a tag and its row, or null when the tag has none.</summary>
    public MetricPoint? LastOf(string tag)
    {
        lock (_lock)
        {
            if (!_series.TryGetValue(tag, out var s) || s.Rows.Count == 0) return null;
            return Point(s, s.Rows.Count - 1);
        }
    }

    /// <summary>Every point of every tag with a row at or after <paramref name="since"/>, at most <paramref name="maxRows"/> rows.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<MetricPoint>> Since(int since, int maxRows)
    {
        lock (_lock)
        {
            int end = (int)Math.Min((long)since + maxRows, _steps.Count);
            var result = new Dictionary<string, IReadOnlyList<MetricPoint>>(StringComparer.Ordinal);
            foreach (var (tag, s) in _series)
            {
                int first = LowerBound(s.Rows, since);
                var list = new List<MetricPoint>();
                for (int i = first; i < s.Rows.Count && s.Rows[i] < end; i++) list.Add(Point(s, i));
                if (list.Count > 0) result[tag] = list;
            }
            return result;
        }
    }

    /// <summary>
    /// Every tag's points from row <paramref name="fromRow"/> on, thinned to at most <paramref name="maxPoints"/> per tag:
    /// the rows are cut into equal buckets and each bucket keeps its lowest and highest value (in row order), so spikes stay
    /// visible. A tag with few enough points keeps them all.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<MetricPoint>> Downsampled(int fromRow, int maxPoints)
    {
        if (maxPoints < 2) throw new ArgumentOutOfRangeException(nameof(maxPoints), maxPoints, "at least 2 points");
        lock (_lock)
        {
            var result = new Dictionary<string, IReadOnlyList<MetricPoint>>(StringComparer.Ordinal);
            foreach (var (tag, s) in _series)
            {
                int first = LowerBound(s.Rows, fromRow);
                int count = s.Rows.Count - first;
                if (count <= 0) continue;
                var list = new List<MetricPoint>(Math.Min(count, maxPoints));
                if (count <= maxPoints)
                {
                    for (int i = first; i < s.Rows.Count; i++) list.Add(Point(s, i));
                }
                else
                {
                    int buckets = maxPoints / 2;
                    for (int b = 0; b < buckets; b++)
                    {
                        int lo = first + (int)((long)count * b / buckets), hi = first + (int)((long)count * (b + 1) / buckets);
                        int min = lo, max = lo;
                        for (int i = lo + 1; i < hi; i++)
                        {
                            if (s.Values[i] < s.Values[min]) min = i;
                            if (s.Values[i] > s.Values[max]) max = i;
                        }
                        list.Add(Point(s, Math.Min(min, max)));
                        if (max != min) list.Add(Point(s, Math.Max(min, max)));
                    }
                }
                result[tag] = list;
            }
            return result;
        }
    }

    private MetricPoint Point(Series s, int i)
    {
        int row = s.Rows[i];
        return new MetricPoint(row, _steps[row], _seconds[row], _games[row], s.Values[i]);
    }

    private static int LowerBound(List<int> rows, int value)
    {
        int lo = 0, hi = rows.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (rows[mid] < value) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
