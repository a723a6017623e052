using System.Buffers.Binary;
using Keisei.Neural;
using Keisei.Neural.Checkpoints;
using Keisei.Neural.Models;
using TorchSharp;

namespace Keisei.TestSupport;

/// <summary>
/// Makes checkpoint files that Keisei itself refuses to write: valid header, hash and metadata around weights that hold
/// NaN (as a run whose numbers rotted would have saved before Keisei checked). Shared by the test projects.
/// </summary>
internal static class DamagedCheckpoints
{
    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> with every element of <paramref name="parameter"/> set to NaN.</summary>
    public static void WriteWithNaNWeights(string path, PolicyValueModel model, string parameter, CheckpointInfo? info = null)
    {
        CheckpointFile.Save(path, model, info ?? new CheckpointInfo { Model = model.Config });
        byte[] payload = File.ReadAllBytes(path)[52..];
        int metadataLength = BinaryPrimitives.ReadInt32LittleEndian(payload);

        using var copy = CheckpointFile.Load(path).Model;
        using (torch.no_grad()) copy.state_dict()[parameter].fill_(Scalars.Of(float.NaN));
        var weights = new MemoryStream();
        copy.save(weights);
        byte[] section = weights.ToArray();

        var forged = new MemoryStream();
        forged.Write(payload.AsSpan(0, 4 + metadataLength));
        var length = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, section.Length);
        forged.Write(length);
        forged.Write(section);
        BinaryPrimitives.WriteInt64LittleEndian(length, 0);
        forged.Write(length); // no optimizer state (the metadata says so: it was saved without one)
        CheckpointFile.WriteAtomically(path, forged.ToArray());
    }
}
