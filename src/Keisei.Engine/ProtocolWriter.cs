namespace Keisei.Engine;

/// <summary>
/// The engine's only way out: whole lines, written and flushed one at a time under a lock, so the input loop and the search
/// never interleave. A writer that fails (the GUI closed the pipe) is remembered as <see cref="Broken"/>; later lines are dropped.
/// </summary>
internal sealed class ProtocolWriter(TextWriter writer)
{
    private readonly Lock _lock = new();

    /// <summary>Whether writing has failed once; nothing more is written.</summary>
    public bool Broken { get; private set; }

    public void Line(string text)
    {
        // One protocol line each: a message that holds a line break must not start a second, meaningless command.
        if (text.Contains('\n') || text.Contains('\r')) text = text.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\n', ' ').Replace('\r', ' ');
        lock (_lock)
        {
            if (Broken) return;
            try
            {
                writer.WriteLine(text);
                writer.Flush();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                Broken = true;
            }
        }
    }

    /// <summary>An <c>info string</c> line.</summary>
    public void Say(string text) => Line("info string " + text);

    /// <summary>An <c>info string error: ...</c> line.</summary>
    public void Error(string text) => Line("info string error: " + text);
}
