using System.Globalization;
using System.Text;
using TorchSharp.Modules;
using static TorchSharp.torch.utils.tensorboard;

namespace Keisei.Training;

/// <summary>Where training metrics go: <c>metrics.jsonl</c> (one object per step) and TensorBoard event files.</summary>
public sealed class MetricSink : IDisposable
{
    private readonly StreamWriter? _jsonl;
    private readonly SummaryWriter? _tensorBoard;
    private readonly Lock _lock = new();

    public MetricSink(RunDirectory run, bool jsonl = true, bool tensorBoard = true)
    {
        if (jsonl) _jsonl = new StreamWriter(new FileStream(run.MetricsPath, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)) { AutoFlush = true };
        if (tensorBoard)
        {
            Directory.CreateDirectory(run.TensorBoardPath);
            _tensorBoard = SummaryWriter(run.TensorBoardPath, createRunName: false);
        }
    }

    /// <summary>Writes scalars at a training step (timesteps): one JSON line and one TensorBoard scalar per tag.</summary>
    public void Write(long step, IReadOnlyList<(string Tag, double Value)> scalars)
    {
        lock (_lock)
        {
            if (_jsonl is not null)
            {
                var sb = new StringBuilder();
                sb.Append("{\"timesteps\":").Append(step.ToString(CultureInfo.InvariantCulture));
                sb.Append(",\"time\":\"").Append(DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)).Append('"');
                foreach (var (tag, value) in scalars)
                {
                    sb.Append(",\"").Append(tag).Append("\":");
                    sb.Append(double.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : "null");
                }
                sb.Append('}');
                _jsonl.WriteLine(sb.ToString());
            }
            if (_tensorBoard is not null)
                foreach (var (tag, value) in scalars)
                    if (double.IsFinite(value)) _tensorBoard.add_scalar(tag, (float)value, (int)Math.Min(step, int.MaxValue));
        }
    }

    public void Dispose()
    {
        _jsonl?.Dispose();
    }
}
