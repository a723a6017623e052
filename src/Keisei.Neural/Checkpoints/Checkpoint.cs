using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Keisei.Neural.Encoding;
using Keisei.Neural.Models;
using TorchSharp;
using TorchSharp.Modules;

namespace Keisei.Neural.Checkpoints;

/// <summary>A checkpoint file that cannot be used; the message names the file and what is wrong with it.</summary>
public sealed class CheckpointException(string path, string problem, Exception? inner = null)
    : Exception($"Checkpoint '{path}' {problem}", inner)
{
    public string Path { get; } = path;
}

/// <summary>Everything a checkpoint says about itself besides the tensors.</summary>
public sealed record CheckpointInfo
{
    public required ModelConfig Model { get; init; }

    /// <summary>Action encoding name (<see cref="ActionSpace.Name"/>).</summary>
    public string ActionEncoding { get; init; } = ActionSpace.Name;

    /// <summary>Training counters such as <c>timesteps</c>, <c>episodes</c>, <c>updates</c>.</summary>
    public Dictionary<string, long> Counters { get; init; } = [];

    /// <summary>Random generator states by name (for example <c>selfplay</c>), base64.</summary>
    public Dictionary<string, string> RngState { get; init; } = [];

    /// <summary>Free-form facts worth keeping (run name, optimizer kind, ...).</summary>
    public Dictionary<string, string> Extra { get; init; } = [];

    public DateTimeOffset CreatedAt { get; init; }

    public long ParameterCount { get; init; }

    public bool HasOptimizerState { get; init; }
}

/// <summary>A checkpoint read back: the rebuilt model with its weights, its description, and the optimizer state if saved.</summary>
public sealed class LoadedCheckpoint(string path, CheckpointInfo info, PolicyValueModel model, byte[]? optimizerState, string sha256)
{
    public string Path { get; } = path;
    public CheckpointInfo Info { get; } = info;
    public PolicyValueModel Model { get; } = model;

    /// <summary>Hex SHA-256 of the payload (verified on load).</summary>
    public string Sha256 { get; } = sha256;

    public bool HasOptimizerState => optimizerState is not null;

    /// <summary>Loads the saved optimizer state into an optimizer built over <see cref="Model"/>'s parameters.</summary>
    public void RestoreOptimizer(OptimizerHelper optimizer)
    {
        if (optimizerState is null) throw new CheckpointException(Path, "has no optimizer state");
        try
        {
            using var reader = new BinaryReader(new MemoryStream(optimizerState));
            optimizer.load_state_dict(reader);
        }
        catch (Exception e) when (e is not CheckpointException)
        {
            throw new CheckpointException(Path, $"has optimizer state that does not fit this optimizer: {e.Message}", e);
        }
    }
}

/// <summary>
/// The checkpoint file format: <c>KEISEICK</c>, format version (u32), payload length (u64), SHA-256 of the payload,
/// then the payload: metadata JSON, model weights (TorchSharp format), optimizer state. Written atomically.
/// </summary>
public static class CheckpointFile
{
    public const int FormatVersion = 1;
    private const int HeaderSize = 8 + 4 + 8 + 32;
    private static ReadOnlySpan<byte> Magic => "KEISEICK"u8;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        // A null where the type allows none ("model": null) is invalid metadata, not a NullReferenceException later.
        RespectNullableAnnotations = true,
    };

    /// <summary>Writes a checkpoint atomically (temporary file, flush to disk, rename). Returns the payload's SHA-256 (hex).</summary>
    /// <exception cref="CheckpointException">The model holds a NaN or infinity (nothing is written).</exception>
    public static string Save(string path, PolicyValueModel model, CheckpointInfo info, OptimizerHelper? optimizer = null)
    {
        var broken = FiniteChecks.NonFiniteState(model);
        if (broken.Count > 0)
            throw new CheckpointException(path, $"was not written: the model holds NaN or infinite values in {FiniteChecks.Describe(broken)}");
        var full = info with
        {
            Model = model.Config,
            CreatedAt = info.CreatedAt == default ? DateTimeOffset.UtcNow : info.CreatedAt,
            ParameterCount = model.ParameterCount,
            HasOptimizerState = optimizer is not null,
        };
        var payload = new MemoryStream();
        var writer = new BinaryWriter(payload);
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(full, Json);
        writer.Write(json.Length);
        writer.Write(json);
        WriteSection(writer, Capture(s => model.save(s)));
        WriteSection(writer, optimizer is null ? [] : Capture(s => optimizer.save_state_dict(new BinaryWriter(s))));
        writer.Flush();
        return WriteAtomically(path, payload.GetBuffer().AsSpan(0, (int)payload.Length));
    }

    /// <summary>What a TorchSharp writer produces (it closes the stream it is given, so it gets its own).</summary>
    private static byte[] Capture(Action<MemoryStream> write)
    {
        var stream = new MemoryStream();
        write(stream);
        return stream.ToArray();
    }

    private static void WriteSection(BinaryWriter writer, byte[] section)
    {
        writer.Write((long)section.Length);
        writer.Write(section);
    }

    /// <summary>Writes header and payload to a temporary file beside <paramref name="path"/>, syncs it, and renames it over the target.</summary>
    internal static string WriteAtomically(string path, ReadOnlySpan<byte> payload)
    {
        byte[] hash = SHA256.HashData(payload);
        Span<byte> header = stackalloc byte[HeaderSize];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], FormatVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(header[12..], (ulong)payload.Length);
        hash.CopyTo(header[20..]);

        string directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        string temp = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                file.Write(header);
                file.Write(payload);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// The payload SHA-256 (hex) that a checkpoint's header announces, read from the header alone and not verified (a USI
    /// engine names its model at once and verifies it later); null when the file cannot be read or has no Keisei header.
    /// </summary>
    public static string? AnnouncedSha256(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            Span<byte> header = stackalloc byte[HeaderSize];
            file.ReadExactly(header);
            if (!header[..Magic.Length].SequenceEqual(Magic) || BinaryPrimitives.ReadUInt32LittleEndian(header[8..]) != FormatVersion) return null;
            return Convert.ToHexStringLower(header[20..]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Reads and verifies a checkpoint's header and metadata without building the model.</summary>
    public static (CheckpointInfo Info, string Sha256) ReadInfo(string path)
    {
        var (payload, sha) = ReadVerifiedPayload(path);
        return (ParseInfo(path, payload, out _), sha);
    }

    /// <summary>Reads, verifies and rebuilds a checkpoint: the architecture comes from the file alone.</summary>
    /// <exception cref="CheckpointException">Missing, truncated, corrupted, foreign, not matching its own architecture, or holding a NaN or infinite weight.</exception>
    public static LoadedCheckpoint Load(string path)
    {
        var (payload, sha) = ReadVerifiedPayload(path);
        var info = ParseInfo(path, payload, out int offset);
        var weights = Section(path, payload, ref offset, "model weights");
        var optimizer = Section(path, payload, ref offset, "optimizer state");
        if (offset != payload.Length) throw new CheckpointException(path, $"has {payload.Length - offset} unexpected bytes after its sections");
        if (weights.Length == 0) throw new CheckpointException(path, "has no model weights");
        if (info.HasOptimizerState != (optimizer.Length > 0))
            throw new CheckpointException(path, "says it has optimizer state but has none (or the reverse)");

        PolicyValueModel model;
        try
        {
            model = PolicyValueModel.Create(info.Model, seed: 0);
        }
        catch (ArgumentException e)
        {
            throw new CheckpointException(path, $"describes a model that cannot be built: {e.Message}", e);
        }
        try
        {
            using var stream = new MemoryStream(payload, weights.Offset, weights.Length, writable: false);
            model.load(stream, strict: true);
        }
        catch (Exception e)
        {
            model.Dispose();
            throw new CheckpointException(path, $"has weights that do not fit its architecture ({info.Model.Describe()}): {e.Message}", e);
        }
        var broken = FiniteChecks.NonFiniteState(model);
        if (broken.Count > 0)
        {
            model.Dispose();
            throw new CheckpointException(path, $"is damaged: its weights hold NaN or infinite values in {FiniteChecks.Describe(broken)}");
        }
        model.eval();
        byte[]? optimizerState = optimizer.Length > 0 ? payload.AsSpan(optimizer.Offset, optimizer.Length).ToArray() : null;
        return new LoadedCheckpoint(path, info, model, optimizerState, sha);
    }

    private static (byte[] Payload, string Sha256) ReadVerifiedPayload(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException(path, "does not exist");
        byte[] file;
        try
        {
            file = File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new CheckpointException(path, $"cannot be read: {e.Message}", e);
        }
        if (file.Length < Magic.Length || !file.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new CheckpointException(path, "is not a Keisei checkpoint (it does not start with the KEISEICK signature)");
        if (file.Length < HeaderSize)
            throw new CheckpointException(path, $"is truncated: {file.Length} bytes, shorter than the {HeaderSize}-byte header");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(8));
        if (version != FormatVersion)
            throw new CheckpointException(path, $"has format version {version}; this Keisei reads version {FormatVersion}");
        ulong expected = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(12));
        long actual = file.Length - HeaderSize;
        if ((ulong)actual < expected)
            throw new CheckpointException(path, $"is truncated: the header announces {expected} payload bytes, the file holds {actual}");
        if ((ulong)actual > expected)
            throw new CheckpointException(path, $"has {(ulong)actual - expected} bytes more than its header announces");
        var payload = file.AsSpan(HeaderSize);
        byte[] hash = SHA256.HashData(payload);
        if (!hash.AsSpan().SequenceEqual(file.AsSpan(20, 32)))
            throw new CheckpointException(path,
                $"is corrupted: the payload's SHA-256 is {Convert.ToHexStringLower(hash)}, the header says {Convert.ToHexStringLower(file.AsSpan(20, 32))}");
        return (payload.ToArray(), Convert.ToHexStringLower(hash));
    }

    private static CheckpointInfo ParseInfo(string path, byte[] payload, out int offset)
    {
        offset = 0;
        if (payload.Length < 4) throw new CheckpointException(path, "has no metadata");
        int length = BinaryPrimitives.ReadInt32LittleEndian(payload);
        if (length <= 0 || length > payload.Length - 4) throw new CheckpointException(path, $"has a metadata length of {length} that does not fit the payload");
        CheckpointInfo? info;
        try
        {
            var metadata = JsonNode.Parse(payload.AsSpan(4, length));
            // Checkpoints written before the policy head could be chosen hold Keisei's original linear head and say nothing of it.
            if (metadata?["model"] is JsonObject model && !model.ContainsKey("policy_head")) model["policy_head"] = ModelConfig.LinearHead;
            info = metadata.Deserialize<CheckpointInfo>(Json);
        }
        catch (JsonException e)
        {
            throw new CheckpointException(path, $"has metadata that is not valid: {e.Message}", e);
        }
        if (info is null) throw new CheckpointException(path, "has empty metadata");
        if (info.ActionEncoding != ActionSpace.Name)
            throw new CheckpointException(path, $"uses action encoding '{info.ActionEncoding}'; this Keisei knows '{ActionSpace.Name}'");
        var errors = info.Model.Validate();
        if (errors.Count > 0) throw new CheckpointException(path, $"describes an invalid model: {string.Join("; ", errors)}");
        offset = 4 + length;
        return info;
    }

    private static (int Offset, int Length) Section(string path, byte[] payload, ref int offset, string what)
    {
        if (offset + 8 > payload.Length) throw new CheckpointException(path, $"ends before its {what}");
        long length = BinaryPrimitives.ReadInt64LittleEndian(payload.AsSpan(offset));
        offset += 8;
        if (length < 0 || length > payload.Length - offset)
            throw new CheckpointException(path, $"announces {length} bytes of {what}, only {payload.Length - offset} remain");
        int start = offset;
        offset += (int)length;
        return (start, (int)length);
    }
}
