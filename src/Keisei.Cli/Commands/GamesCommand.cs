using System.CommandLine;
using System.Text;
using Keisei.Evaluation.Storage;
using Keisei.Shogi;
using Keisei.Shogi.Records;

namespace Keisei.Cli;

/// <summary><c>keisei games export</c>: write an evaluation's stored games as KIF, CSA or USI files.</summary>
internal static class GamesCommand
{
    public static Command Create(TextWriter stdout)
    {
        var command = new Command("games", "Work with stored games.");
        var db = new Option<string>("--db") { Description = $"Results database (SQLite; default {ResultsDefaults.Database}).", DefaultValueFactory = _ => ResultsDefaults.Database };
        var evaluation = new Option<long>("--evaluation") { Description = "Evaluation id (see keisei evaluate's report).", Required = true }.InRange(1, long.MaxValue);
        var format = new Option<string>("--format")
        {
            Description = "kif (KIF in Shift_JIS; characters Shift_JIS lacks, e.g. in player names, become '?'), kifu (KIF in UTF-8), " +
                "csa (CSA V2.2 in UTF-8) or usi (one 'position ... moves ...' line).",
            DefaultValueFactory = _ => "kif",
        };
        format.AcceptOnlyFromAmong("kif", "kifu", "csa", "usi");
        var output = new Option<string>("--out", "-o") { Description = "Folder to write the files into.", Required = true };
        var export = new Command("export", "Write every stored game of an evaluation to a folder, one file per game named after its format (.kif, .kifu, .csa, .usi).")
        {
            db, evaluation, format, output,
        };
        export.SetAction(result =>
        {
            string path = CliPaths.InputFile("--db", result.GetValue(db)!);
            string folder = CliPaths.OutputFolder("--out", result.GetValue(output)!);
            using var store = ResultsStore.Open(path);
            long id = result.GetValue(evaluation);
            if (store.GetEvaluation(id) is null) throw new UserInputException($"--evaluation: no evaluation {id} in '{path}'");
            var names = store.Players().ToDictionary(p => p.Id, p => p.Name);
            string kind = result.GetValue(format)!;
            int count = 0;
            foreach (var game in store.Games(id))
            {
                var record = game.ToRecord(names);
                string file = Path.Combine(folder, $"evaluation{id}-game{game.GameIndex:D4}.{kind}");
                switch (kind)
                {
                    case "kif":
                        File.WriteAllText(file, KifWriter.Write(record), KifWriter.ShiftJis);
                        break;
                    case "kifu":
                        File.WriteAllText(file, KifWriter.Write(record), new UTF8Encoding(false));
                        break;
                    case "csa":
                        File.WriteAllText(file, CsaWriter.Write(record), new UTF8Encoding(false));
                        break;
                    default:
                        File.WriteAllText(file, UsiLine(game) + "\n", new UTF8Encoding(false));
                        break;
                }
                count++;
            }
            stdout.WriteLine($"Wrote {count} games of evaluation {id} to {Path.GetFullPath(folder)} as {kind}");
            return ExitCodes.Success;
        });
        command.Subcommands.Add(export);
        return command;
    }

    private static string UsiLine(StoredGame game) =>
        (game.StartSfen == Position.StartSfen ? "position startpos" : $"position sfen {game.StartSfen}") +
        (game.Moves.Count > 0 ? " moves " + string.Join(' ', game.Moves) : "");
}
