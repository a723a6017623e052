namespace Keisei.Cli;

/// <summary>Calls the handler on the reporting thread (unlike <see cref="Progress{T}"/>, which posts to the thread pool).</summary>
internal sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
{
    private readonly Lock _lock = new();

    public void Report(T value)
    {
        lock (_lock) handler(value);
    }
}

/// <summary>A status line on stderr: rewritten in place on a terminal, one line every few seconds otherwise.</summary>
internal sealed class ProgressLine(TextWriter writer)
{
    private readonly bool _terminal = !Console.IsErrorRedirected && ReferenceEquals(writer, Console.Error);
    private DateTime _last = DateTime.MinValue;
    private string _text = "";

    public void Update(string text)
    {
        _text = text;
        if (_terminal)
        {
            writer.Write("\r" + text.PadRight(Math.Max(text.Length, 20)));
            return;
        }
        if (DateTime.UtcNow - _last < TimeSpan.FromSeconds(2)) return;
        _last = DateTime.UtcNow;
        writer.WriteLine(text);
    }

    public void Finish()
    {
        if (_text.Length == 0) return;
        writer.WriteLine(_terminal ? "" : _text);
        _text = "";
    }
}
