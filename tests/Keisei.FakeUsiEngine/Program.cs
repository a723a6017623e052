using System.Globalization;
using Keisei.Shogi;

namespace Keisei.FakeUsiEngine;

/// <summary>
/// A scriptable USI engine for tests: <c>dotnet Keisei.FakeUsiEngine.dll &lt;mode&gt; [--seed N] [--after N]
/// [--delay-ms N] [--think-ms N] [--no-bestmove] [--starts FILE (--fail-start-every K | --fail-start-from N)]</c>. Modes:
/// random, crash, hang, illegal, garbage, slowstart, noready, resign, win, stderr. Every faulty mode plays random legal
/// moves for its first <c>--after</c> searches (default 0), then misbehaves. With <c>--starts</c> each process counts
/// itself in FILE (shared by concurrent processes) and, when its number n (1-based) has n % K == 0 or n ≥ N, exits at
/// <c>isready</c> without answering: a start-up that fails.
/// </summary>
internal static class Program
{
    private static readonly string[] Modes = ["random", "crash", "hang", "illegal", "garbage", "slowstart", "noready", "resign", "win", "stderr"];

    public static int Main(string[] args)
    {
        if (args.Length == 0 || !Modes.Contains(args[0]))
        {
            Console.Error.WriteLine($"usage: Keisei.FakeUsiEngine <{string.Join('|', Modes)}> [--seed N] [--after N] [--delay-ms N] [--think-ms N] [--no-bestmove]");
            return 2;
        }
        var engine = new FakeEngine(args[0], args[1..]);
        return engine.Run();
    }
}

internal sealed class FakeEngine
{
    private readonly string _mode;
    private readonly Random _random;
    private readonly int _after;
    private readonly int _delayMs;
    private readonly int _thinkMs;
    private readonly bool _noBestMove;
    private readonly string? _starts;
    private readonly int _failStartEvery, _failStartFrom;
    private readonly Lock _outLock = new();
    private Position _position = Position.StartPosition();
    private int _searches;
    private Thread? _search;
    private volatile bool _stop;

    public FakeEngine(string mode, string[] args)
    {
        _mode = mode;
        int seed = 1;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seed": seed = Int(args, ++i); break;
                case "--after": _after = Int(args, ++i); break;
                case "--delay-ms": _delayMs = Int(args, ++i); break;
                case "--think-ms": _thinkMs = Int(args, ++i); break;
                case "--no-bestmove": _noBestMove = true; break;
                case "--starts": _starts = args[++i]; break;
                case "--fail-start-every": _failStartEvery = Int(args, ++i); break;
                case "--fail-start-from": _failStartFrom = Int(args, ++i); break;
                default: throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }
        if (_delayMs == 0 && mode == "slowstart") _delayMs = 30_000;
        _random = new Random(seed);
    }

    private static int Int(string[] args, int i) => int.Parse(args[i], CultureInfo.InvariantCulture);

    /// <summary>Adds one to the number in <paramref name="path"/> under an exclusive lock and returns it.</summary>
    private static int CountStart(string path)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                using var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                using var reader = new StreamReader(file, leaveOpen: true);
                string text = reader.ReadToEnd().Trim();
                int n = (text.Length == 0 ? 0 : int.Parse(text, CultureInfo.InvariantCulture)) + 1;
                file.SetLength(0);
                using var writer = new StreamWriter(file);
                writer.Write(n.ToString(CultureInfo.InvariantCulture));
                return n;
            }
            catch (IOException) when (attempt < 1000)
            {
                Thread.Sleep(10);
            }
        }
    }

    public int Run()
    {
        bool failStart = false;
        if (_starts is not null)
        {
            int n = CountStart(_starts);
            failStart = (_failStartEvery > 0 && n % _failStartEvery == 0) || (_failStartFrom > 0 && n >= _failStartFrom);
        }
        if (_mode == "stderr") Noise(2000);
        string? line;
        while ((line = Console.In.ReadLine()) is not null)
        {
            var t = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (t.Length == 0) continue;
            switch (t[0])
            {
                case "usi":
                    if (_mode == "slowstart") Thread.Sleep(_delayMs);
                    Say("id name FakeUsi " + _mode);
                    Say("id author Keisei tests");
                    Say("option name USI_Hash type spin default 16 min 1 max 1024");
                    Say("option name Threads type spin default 1 min 1 max 8");
                    Say("option name Book File type string default <empty>");
                    Say("option name Style type combo default Normal var Normal var Aggressive var Solid");
                    Say("option name ClearHash type button");
                    Say("option name UseBook type check default true");
                    Say("usiok");
                    break;
                case "isready":
                    if (failStart) return 4;
                    if (_mode != "noready") Say("readyok");
                    break;
                case "position":
                    _position = ParsePosition(t);
                    break;
                case "go":
                    Go(t);
                    break;
                case "stop":
                    _stop = true;
                    break;
                case "quit":
                    _stop = true;
                    _search?.Join();
                    return 0;
                default:
                    // setoption, usinewgame, gameover, and anything unknown: nothing to do.
                    break;
            }
        }
        return 0;
    }

    private void Go(string[] t)
    {
        _search?.Join();
        _stop = false;
        int n = _searches++;
        bool misbehave = n >= _after;
        if (_mode == "stderr") Noise(200);
        if (misbehave)
        {
            switch (_mode)
            {
                case "crash":
                    Console.Out.Flush();
                    Environment.Exit(3);
                    return;
                case "hang":
                    // Alive but deaf: stops reading stdin, so it ignores stop and quit too.
                    Thread.Sleep(Timeout.Infinite);
                    return;
                case "illegal":
                    Say("bestmove " + IllegalMove().ToUsi());
                    return;
                case "garbage":
                    Say("hello there");
                    Say("info depth ??? score cp banana pv");
                    Say("bestmov 7g7f");
                    Say("%%% 42 %%%");
                    if (!_noBestMove) Say("bestmove !!garbage!!");
                    return;
                case "resign":
                    Say("bestmove resign");
                    return;
                case "win":
                    Say("bestmove win");
                    return;
            }
        }
        bool infinite = t.Contains("infinite");
        var search = new Thread(() => Search(infinite)) { IsBackground = true };
        _search = search;
        search.Start();
    }

    private void Search(bool infinite)
    {
        // Think until stop (go infinite) or for --think-ms; answer isready meanwhile (the main loop does).
        var deadline = DateTime.UtcNow.AddMilliseconds(_thinkMs);
        while (!_stop && (infinite || DateTime.UtcNow < deadline)) Thread.Sleep(5);
        var list = new MoveList();
        _position.GenerateLegalMoves(ref list);
        if (list.Count == 0)
        {
            Say("bestmove resign");
            return;
        }
        var move = list[_random.Next(list.Count)];
        int cp = _random.Next(-300, 301);
        Say($"info depth 1 seldepth 1 nodes {list.Count} score cp {cp} pv {move.ToUsi()}");
        Say($"info string random choice among {list.Count} moves");
        Say($"info depth 2 nodes {list.Count * 2} score cp {cp + 1} lowerbound");
        Say($"info depth 2 nodes {list.Count * 3} multipv 2 score cp -999 pv {list[0].ToUsi()}");
        Say($"bestmove {move.ToUsi()}");
    }

    private Move IllegalMove()
    {
        for (int from = 0; from < 81; from++)
            for (int to = 0; to < 81; to++)
            {
                if (from == to) continue;
                var m = Move.Board(from, to);
                if (!_position.IsLegal(m)) return m;
            }
        throw new InvalidOperationException("every move is legal?");
    }

    private static Position ParsePosition(string[] t)
    {
        int movesAt = Array.IndexOf(t, "moves");
        int end = movesAt < 0 ? t.Length : movesAt;
        var position = Position.FromSfen(string.Join(' ', t[1..end]));
        if (movesAt >= 0)
            for (int i = movesAt + 1; i < t.Length; i++)
                position.DoMove(UsiNotation.ParseMove(position, t[i]));
        return position;
    }

    private void Say(string line)
    {
        lock (_outLock)
        {
            Console.Out.WriteLine(line);
            Console.Out.Flush();
        }
    }

    private static void Noise(int lines)
    {
        for (int i = 0; i < lines; i++) Console.Error.WriteLine($"stderr noise line {i}: bestmove 1a1b info score cp 99999");
        Console.Error.Flush();
    }
}
