using System.Globalization;
using Keisei.Training;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Keisei.Cli;

/// <summary>Shows training progress: a Spectre.Console live panel on a terminal, one plain line per update otherwise.</summary>
internal sealed class TrainingDisplay(TextWriter output, bool live, double refreshPerSecond)
{
    private TrainingStatus? _latest;
    private string? _evaluation;
    private readonly Lock _lock = new();

    public bool Live => live;

    /// <summary>Receives the trainer's status after each update (any thread).</summary>
    public void Report(TrainingStatus status)
    {
        lock (_lock) _latest = status;
        if (!live) output.WriteLine(PlainLine(status, _evaluation));
    }

    /// <summary>Sets the latest evaluation summary (shown from the next refresh).</summary>
    public void ReportEvaluation(string summary)
    {
        lock (_lock) _evaluation = summary;
        if (!live) output.WriteLine($"evaluation: {summary}");
    }

    /// <summary>Runs <paramref name="work"/> while keeping the live panel up to date.</summary>
    public async Task<T> RunAsync<T>(string title, Func<Task<T>> work)
    {
        if (!live) return await work();
        var task = Task.Run(work);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        await console.Live(Render(title, null, null)).AutoClear(false).StartAsync(async ctx =>
        {
            var period = TimeSpan.FromSeconds(1 / Math.Max(0.1, refreshPerSecond));
            while (!task.IsCompleted)
            {
                await Task.WhenAny(task, Task.Delay(period));
                TrainingStatus? status;
                string? evaluation;
                lock (_lock)
                {
                    status = _latest;
                    evaluation = _evaluation;
                }
                ctx.UpdateTarget(Render(title, status, evaluation));
                ctx.Refresh();
            }
        });
        return await task;
    }

    private static string F(double v, string format) => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static string Eta(TrainingStatus s)
    {
        if (s.Timesteps <= 0 || s.Elapsed.TotalSeconds < 1) return "--:--";
        double remaining = s.Elapsed.TotalSeconds * (s.TotalTimesteps - s.Timesteps) / s.Timesteps;
        return TimeSpan.FromSeconds(remaining).ToString(remaining >= 3600 ? @"h\:mm\:ss" : @"mm\:ss", CultureInfo.InvariantCulture);
    }

    /// <summary>One line per update (the process runs with invariant globalization, so numbers use '.').</summary>
    internal static string PlainLine(TrainingStatus s, string? evaluation) =>
            $"ts {s.Timesteps}/{s.TotalTimesteps} ({100.0 * s.Timesteps / Math.Max(1, s.TotalTimesteps):0.0}%) upd {s.Updates} eps {s.Episodes} " +
            $"plies/s {F(s.PliesPerSecond, "0")} " +
            (s.Ppo?.NonFinite is not null
                ? "update SKIPPED (non-finite, see the log) "
                : $"policy {F(s.Ppo?.PolicyLoss ?? double.NaN, "0.0000")} value {F(s.Ppo?.ValueLoss ?? double.NaN, "0.0000")} " +
                  $"entropy {F(s.Ppo?.Entropy ?? double.NaN, "0.000")} kl {F(s.Ppo?.ApproxKl ?? double.NaN, "0.0000")} ") +
            $"B/W/D {F(s.BlackWinRate, "0.00")}/{F(s.WhiteWinRate, "0.00")}/{F(s.DrawRate, "0.00")} len {F(s.EpisodeLength, "0")} ETA {Eta(s)}" +
            (s.NonFiniteUpdates > 0 ? $" | skipped {s.NonFiniteUpdates}" : "") +
            (evaluation is null ? "" : $" | eval {evaluation}");

    private static IRenderable Render(string title, TrainingStatus? s, string? evaluation)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        if (s is null)
        {
            grid.AddRow(new Markup("[grey]starting...[/]"), new Text(""));
            return new Panel(grid).Header(Markup.Escape(title));
        }
        double fraction = Math.Clamp(s.Timesteps / (double)Math.Max(1, s.TotalTimesteps), 0, 1);
        int width = 40, filled = (int)Math.Round(fraction * width);
        string bar = $"[green]{new string('━', filled)}[/][grey]{new string('━', width - filled)}[/] {fraction * 100:0.0}%  ETA {Eta(s)}";
        grid.AddRow(new Markup("[bold]progress[/]"), new Markup(bar));
        grid.AddRow("timesteps", $"{s.Timesteps:N0} / {s.TotalTimesteps:N0}  (update {s.Updates}, {s.Episodes:N0} games, {s.Elapsed:hh\\:mm\\:ss})");
        grid.AddRow("throughput", $"{F(s.PliesPerSecond, "N0")} plies/s self-play, {F(s.SamplesPerSecond, "N0")} samples/s PPO");
        if (s.Ppo?.NonFinite is { } what)
            grid.AddRow(new Markup("[red]losses[/]"), new Markup($"[red]update skipped: non-finite {Markup.Escape(what)}[/]"));
        else if (s.Ppo is { } p)
        {
            grid.AddRow("losses", $"policy {F(p.PolicyLoss, "0.0000")}  value {F(p.ValueLoss, "0.0000")}");
            grid.AddRow("entropy / KL", $"{F(p.Entropy, "0.000")} / {F(p.ApproxKl, "0.0000")}  clip {F(p.ClipFraction, "0.00")}  lr {p.LearningRate:0.###e0}");
        }
        grid.AddRow("self-play", $"Black {F(s.BlackWinRate * 100, "0")}%  White {F(s.WhiteWinRate * 100, "0")}%  draw {F(s.DrawRate * 100, "0")}%  length {F(s.EpisodeLength, "0")} plies");
        if (s.Timing is { } t)
            grid.AddRow("time split", string.Create(CultureInfo.InvariantCulture,
                $"engine {t.Engine.TotalMilliseconds:0} ms, encoding {t.Encoding.TotalMilliseconds:0} ms, inference {t.Inference.TotalMilliseconds:0} ms, update {t.Update.TotalMilliseconds:0} ms"));
        if (s.NonFiniteUpdates > 0) grid.AddRow(new Markup("[yellow]skipped[/]"), new Text($"{s.NonFiniteUpdates} update(s) with non-finite numbers (ppo/nonfinite_updates)"));
        grid.AddRow("checkpoint", Path.GetFileName(s.LastCheckpoint) ?? "none yet");
        if (evaluation is not null) grid.AddRow("evaluation", evaluation);
        return new Panel(grid).Header(Markup.Escape(title)).Border(BoxBorder.Rounded);
    }
}
