using System.Text;

namespace Keisei.Usi;

/// <summary>How to start and configure an external USI engine.</summary>
public sealed record UsiEngineOptions
{
    /// <summary>
    /// The engine's executable, or a command line (program followed by arguments, split like a shell:
    /// whitespace separates, "double" and 'single' quotes group, <c>\"</c> is a literal quote). A value
    /// naming an existing file is taken as the path itself, spaces and all.
    /// </summary>
    public required string Command { get; init; }

    /// <summary>Extra arguments passed verbatim after those in <see cref="Command"/>.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>The engine's working directory (null: the current directory).</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>
    /// Options sent with <c>setoption</c> after the handshake. The value of an option the engine
    /// advertises as a button is not sent; an empty value is written <c>&lt;empty&gt;</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();

    /// <summary>How long the engine may take to answer <c>usi</c> with <c>usiok</c>.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the engine may take to answer <c>isready</c> with <c>readyok</c> (the ping timeout).</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the engine may take to exit after <c>quit</c> before it is killed.</summary>
    public TimeSpan QuitTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long to wait for <c>bestmove</c> after sending <c>stop</c> (on a timeout or a cancelled search).</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>File the engine's stderr is appended to (null: stderr is read and discarded).</summary>
    public string? StderrLogPath { get; init; }

    /// <summary>Name used in logs and messages (null or empty: the engine's <c>id name</c>, else the program's file name).</summary>
    public string? Name { get; init; }

    /// <summary>The program and all its arguments: <see cref="Command"/> split as a command line, then <see cref="Arguments"/>.</summary>
    /// <exception cref="ArgumentException">The command is empty or has an unterminated quote.</exception>
    public (string Program, IReadOnlyList<string> Arguments) ResolveCommand()
    {
        if (string.IsNullOrWhiteSpace(Command))
            throw new ArgumentException("The engine command is empty.", nameof(Command));
        List<string> args;
        string program;
        if (File.Exists(Command))
        {
            program = Command;
            args = [];
        }
        else
        {
            var parts = SplitCommandLine(Command);
            program = parts[0];
            args = [.. parts.Skip(1)];
        }
        args.AddRange(Arguments);
        return (program, args);
    }

    /// <summary>Checks the options for values that cannot be sent (line breaks, non-positive timeouts).</summary>
    /// <exception cref="ArgumentException">An option or timeout is invalid; the message names it.</exception>
    public void Validate()
    {
        ResolveCommand();
        CheckTimeout(HandshakeTimeout, nameof(HandshakeTimeout));
        CheckTimeout(ReadyTimeout, nameof(ReadyTimeout));
        CheckTimeout(QuitTimeout, nameof(QuitTimeout));
        CheckTimeout(StopGrace, nameof(StopGrace));
        foreach (var (name, value) in Options)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Contains('\n') || name.Contains('\r'))
                throw new ArgumentException($"Engine option name '{name}' is empty or contains a line break.", nameof(Options));
            if (value is null || value.Contains('\n') || value.Contains('\r'))
                throw new ArgumentException($"Engine option '{name}' has a value that is null or contains a line break.", nameof(Options));
        }
    }

    private static void CheckTimeout(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
            throw new ArgumentException($"{name} must be positive, found {value}.", name);
    }

    /// <summary>
    /// Splits a command line into words: whitespace separates words; "double" and 'single' quotes group
    /// (and may produce an empty word); inside or outside double quotes <c>\"</c> is a literal quote;
    /// every other backslash is literal, so Windows paths need no escaping.
    /// </summary>
    /// <exception cref="ArgumentException">A quote is not closed, or the line has no words.</exception>
    public static IReadOnlyList<string> SplitCommandLine(string commandLine)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        var words = new List<string>();
        var current = new StringBuilder();
        bool inWord = false;
        char quote = '\0';
        for (int i = 0; i < commandLine.Length; i++)
        {
            char c = commandLine[i];
            if (quote == '\'')
            {
                if (c == '\'') quote = '\0';
                else current.Append(c);
            }
            else if (c == '\\' && i + 1 < commandLine.Length && commandLine[i + 1] == '"')
            {
                current.Append('"');
                inWord = true;
                i++;
            }
            else if (quote == '"')
            {
                if (c == '"') quote = '\0';
                else current.Append(c);
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(current.ToString());
                current.Clear();
                inWord = false;
            }
            else
            {
                current.Append(c);
                inWord = true;
            }
        }
        if (quote != '\0')
            throw new ArgumentException($"Unterminated {quote} quote in command line: {commandLine}", nameof(commandLine));
        if (inWord) words.Add(current.ToString());
        if (words.Count == 0)
            throw new ArgumentException("The command line is empty.", nameof(commandLine));
        return words;
    }
}
