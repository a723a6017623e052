namespace Keisei.Evaluation.Strategies;

/// <summary>Kinds of participant an evaluation can use.</summary>
public enum ParticipantKind
{
    Random,
    Heuristic,
    Checkpoint,
    Usi,
}

/// <summary>
/// A participant named in a command line or config: <c>random</c>, <c>heuristic</c>, <c>ckpt:&lt;path&gt;</c>,
/// <c>usi:&lt;command line&gt;</c>, or a pool entry {name, type, checkpoint_path | command}.
/// </summary>
public sealed record OpponentSpec(string Name, ParticipantKind Kind, string? Path = null, string? Command = null, double? InitialRating = null)
{
    /// <summary>Parses the command-line form.</summary>
    /// <exception cref="EvaluationConfigException">Unknown form; the message lists the accepted ones.</exception>
    public static OpponentSpec Parse(string text, string where = "--opponent")
    {
        text = text.Trim();
        if (text == "random") return new("random", ParticipantKind.Random);
        if (text == "heuristic") return new("heuristic", ParticipantKind.Heuristic);
        if (text.StartsWith("ckpt:", StringComparison.Ordinal) && text.Length > 5)
        {
            string path = text[5..];
            return new(System.IO.Path.GetFileNameWithoutExtension(path), ParticipantKind.Checkpoint, path);
        }
        if (text.StartsWith("usi:", StringComparison.Ordinal) && text.Length > 4)
        {
            string command = text[4..].Trim().Trim('"');
            string[] words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0) throw new EvaluationConfigException($"{where}: expected usi:\"<command line>\" with a program to start, found '{text}'");
            string program = words[0];
            return new($"usi:{System.IO.Path.GetFileName(program)}", ParticipantKind.Usi, Command: command);
        }
        throw new EvaluationConfigException($"{where}: expected random, heuristic, ckpt:<path> or usi:\"<command>\", found '{text}'");
    }

    /// <summary>Reads a pool entry: <c>{name, type: random|heuristic|checkpoint|usi, checkpoint_path, command, initial_rating, metadata}</c>.</summary>
    public static OpponentSpec FromParams(ParamReader entry)
    {
        entry.RejectUnknown("name", "type", "checkpoint_path", "command", "initial_rating", "metadata");
        string type = entry.String("type") ?? throw new EvaluationConfigException($"{entry.Path}.type: expected random, heuristic, checkpoint or usi, found nothing");
        var kind = type switch
        {
            "random" => ParticipantKind.Random,
            "heuristic" => ParticipantKind.Heuristic,
            "checkpoint" or "ppo" => ParticipantKind.Checkpoint,
            "usi" => ParticipantKind.Usi,
            _ => throw new EvaluationConfigException($"{entry.Path}.type: expected random, heuristic, checkpoint or usi, found '{type}'"),
        };
        string? path = entry.String("checkpoint_path");
        string? command = entry.String("command");
        if (kind == ParticipantKind.Checkpoint && path is null) throw new EvaluationConfigException($"{entry.Path}.checkpoint_path: required for type checkpoint");
        if (kind == ParticipantKind.Usi && command is null) throw new EvaluationConfigException($"{entry.Path}.command: required for type usi");
        string name = entry.String("name") ?? (kind switch
        {
            ParticipantKind.Checkpoint => System.IO.Path.GetFileNameWithoutExtension(path!),
            ParticipantKind.Usi => $"usi:{System.IO.Path.GetFileName(command!.Split(' ')[0])}",
            _ => type,
        });
        double? rating = entry.Has("initial_rating") ? entry.Double("initial_rating", 1500) : null;
        return new(name, kind, path, command, rating);
    }
}
