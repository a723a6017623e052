using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Keisei.Neural;
using Keisei.Neural.Checkpoints;
using Keisei.Neural.Encoding;
using Keisei.Neural.Models;
using Keisei.Shogi;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static Keisei.Neural.Tests.ModelTests;
using static Keisei.Neural.Tests.TestSupport;

namespace Keisei.Neural.Tests;

[Collection(TorchCollection.Name)]
public sealed class CheckpointTests : IDisposable
{
    private const int HeaderSize = 52;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Tensor FixedInput(ObservationEncoder encoder) => Observations(encoder, SomePositions(6, seed: 21));

    private static CheckpointInfo SampleInfo(ModelConfig config) => new()
    {
        Model = config,
        Counters = new() { ["timesteps"] = 1_234_567_890_123, ["episodes"] = 4567, ["updates"] = 89 },
        RngState = new() { ["selfplay"] = "AQIDBA==", ["dotnet"] = "c2VlZA==" },
        Extra = new() { ["run_name"] = "unit-test", ["optimizer"] = "adam", ["note"] = "ünïcode ✓" },
        CreatedAt = new DateTimeOffset(2025, 1, 2, 3, 4, 5, 678, TimeSpan.FromHours(9)),
    };

    /// <summary>A tiny model whose BatchNorm statistics have moved away from their initial values.</summary>
    private static PolicyValueModel TrainedModel(ModelConfig config, long seed)
    {
        var model = PolicyValueModel.Create(config, seed);
        using (torch.NewDisposeScope())
        {
            model.train();
            model.forward(FixedInput(ObservationEncoder.ByName(config.Observation)).mul(Scalars.Of(3.0)));
        }
        model.eval();
        return model;
    }

    private static void AssertSameInfo(CheckpointInfo expected, CheckpointInfo actual)
    {
        Assert.Equal(expected.Model, actual.Model);
        Assert.Equal(expected.ActionEncoding, actual.ActionEncoding);
        Assert.Equal(expected.Counters, actual.Counters);
        Assert.Equal(expected.RngState, actual.RngState);
        Assert.Equal(expected.Extra, actual.Extra);
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Assert.Equal(expected.CreatedAt.Offset, actual.CreatedAt.Offset);
    }

    private static CheckpointException AssertRejected(string path, string problem)
    {
        var e = Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path));
        Assert.Equal(path, e.Path);
        Assert.Contains(path, e.Message);
        Assert.Contains(problem, e.Message);
        return e;
    }

    // ---------------------------------------------------------------- round trips

    [Theory]
    [MemberData(nameof(Architectures), MemberType = typeof(ModelTests))]
    public void SaveAndLoadGiveIdenticalOutputsAndInfo(string architecture, string observation, string head)
    {
        using var scope = torch.NewDisposeScope();
        var config = Tiny(architecture, observation, head);
        using var model = TrainedModel(config, seed: 7);
        var info = SampleInfo(config);
        string path = _dir.File("model.ckpt");

        string sha = CheckpointFile.Save(path, model, info);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path).AsSpan(HeaderSize))), sha);

        var loaded = CheckpointFile.Load(path);
        using var loadedModel = loaded.Model;
        Assert.Equal(path, loaded.Path);
        Assert.Equal(sha, loaded.Sha256);
        Assert.False(loaded.HasOptimizerState);
        Assert.False(loaded.Info.HasOptimizerState);
        Assert.Equal(model.ParameterCount, loaded.Info.ParameterCount);
        AssertSameInfo(info, loaded.Info);
        Assert.False(loadedModel.training);
        Assert.Equal(config, loadedModel.Config);
        AssertSameState(Snapshot(model), Snapshot(loadedModel));

        var input = FixedInput(ObservationEncoder.ByName(observation));
        var (logits, value) = model.forward(input);
        var (loadedLogits, loadedValue) = loadedModel.forward(input);
        Assert.True(Same(logits, loadedLogits));
        Assert.True(Same(value, loadedValue));

        var (readInfo, readSha) = CheckpointFile.ReadInfo(path);
        Assert.Equal(sha, readSha);
        AssertSameInfo(info, readInfo);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void DefaultSizeModelRoundTripsWithItsOptimizer()
    {
        using var scope = torch.NewDisposeScope();
        using var model = PolicyValueModel.Create(ModelConfig.KeiseiDefault, seed: 10);
        var input = FixedInput(Core46Encoder.Instance);
        model.train();
        var adam = torch.optim.Adam(model.parameters(), lr: 1e-3);
        var (logits, value) = model.forward(input);
        logits.pow(Scalars.Of(2L)).mean().add(value.pow(Scalars.Of(2L)).mean(), Scalars.Of(1L)).backward();
        adam.step();
        model.eval();
        string path = _dir.File("default.ckpt");
        CheckpointFile.Save(path, model, SampleInfo(model.Config), adam);

        var loaded = CheckpointFile.Load(path);
        using var loadedModel = loaded.Model;
        Assert.Equal(11_689_022L, loaded.Info.ParameterCount);
        AssertSameState(Snapshot(model), Snapshot(loadedModel));
        using (torch.no_grad())
        {
            Assert.True(Same(model.forward(input).Logits, loadedModel.forward(input).Logits));
        }
        loaded.RestoreOptimizer(torch.optim.Adam(loadedModel.parameters(), lr: 1e-3));
    }

    [Fact]
    public void OptimizerStateRoundTrips()
    {
        using var scope = torch.NewDisposeScope();
        var input = FixedInput(Core46Encoder.Instance);
        var target = torch.linspace(-0.5, 0.5, input.shape[0]);
        void Step(PolicyValueModel m, OptimizerHelper optimizer)
        {
            optimizer.zero_grad();
            var (logits, value) = m.forward(input);
            var loss = logits.log_softmax(-1)[.., 9054].neg().mean().add((value - target).pow(Scalars.Of(2L)).mean(), Scalars.Of(1L));
            loss.backward();
            optimizer.step();
        }

        using var model = PolicyValueModel.Create(TinyResNet, seed: 8);
        model.train();
        var adam = torch.optim.Adam(model.parameters(), lr: 0.01);
        Step(model, adam);
        Step(model, adam);
        string path = _dir.File("with-optimizer.ckpt");
        CheckpointFile.Save(path, model, new CheckpointInfo { Model = model.Config }, adam);

        var loaded = CheckpointFile.Load(path);
        Assert.True(loaded.HasOptimizerState);
        Assert.True(loaded.Info.HasOptimizerState);
        using var restoredModel = loaded.Model;
        restoredModel.train();
        var restoredAdam = torch.optim.Adam(restoredModel.parameters(), lr: 0.01);
        loaded.RestoreOptimizer(restoredAdam);

        // Control: the same step from the same weights but a fresh optimizer state ends elsewhere.
        using var freshModel = CheckpointFile.Load(path).Model;
        freshModel.train();
        var freshAdam = torch.optim.Adam(freshModel.parameters(), lr: 0.01);

        Step(model, adam);
        Step(restoredModel, restoredAdam);
        Step(freshModel, freshAdam);
        AssertSameState(Snapshot(model), Snapshot(restoredModel));
        var expected = Snapshot(model);
        var fresh = Snapshot(freshModel);
        Assert.Contains(expected.Keys, k => !Same(expected[k], fresh[k]));
    }

    [Fact]
    public void RestoringAnOptimizerFromACheckpointWithoutOneFails()
    {
        using var model = TrainedModel(TinyQuick, seed: 1);
        string path = _dir.File("plain.ckpt");
        CheckpointFile.Save(path, model, new CheckpointInfo { Model = model.Config });
        var loaded = CheckpointFile.Load(path);
        using var loadedModel = loaded.Model;
        var e = Assert.Throws<CheckpointException>(() => loaded.RestoreOptimizer(torch.optim.Adam(loadedModel.parameters())));
        Assert.Contains(path, e.Message);
        Assert.Contains("no optimizer state", e.Message);
    }

    // ---------------------------------------------------------------- atomic writes

    [Fact]
    public void SaveLeavesNoTemporaryFilesAndReplacesAnExistingFile()
    {
        using var scope = torch.NewDisposeScope();
        using var first = TrainedModel(TinyResNet, seed: 1);
        using var second = TrainedModel(TinyResNet, seed: 2);
        string path = _dir.File("model.ckpt");
        string firstSha = CheckpointFile.Save(path, first, new CheckpointInfo { Model = first.Config });
        Assert.Equal([path], Directory.GetFileSystemEntries(_dir.Path));

        // A reader holding the old file keeps seeing the old bytes: the new file is renamed over it, not written in place.
        using (var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            string secondSha = CheckpointFile.Save(path, second, new CheckpointInfo { Model = second.Config });
            Assert.NotEqual(firstSha, secondSha);
            var old = new byte[reader.Length];
            reader.ReadExactly(old);
            Assert.Equal(firstSha, Convert.ToHexStringLower(SHA256.HashData(old.AsSpan(HeaderSize))));
        }
        Assert.Equal([path], Directory.GetFileSystemEntries(_dir.Path));

        using var loaded = CheckpointFile.Load(path).Model;
        AssertSameState(Snapshot(second), Snapshot(loaded));
    }

    [Fact]
    public void SaveCreatesMissingDirectories()
    {
        using var model = TrainedModel(TinyQuick, seed: 1);
        string path = Path.Combine(_dir.Path, "a", "b", "model.ckpt");
        CheckpointFile.Save(path, model, new CheckpointInfo { Model = model.Config });
        Assert.Equal([path], Directory.GetFileSystemEntries(Path.Combine(_dir.Path, "a", "b")));
    }

    [Fact]
    public void AFailedSaveLeavesNoTemporaryFile()
    {
        using var model = TrainedModel(TinyQuick, seed: 1);
        string blocked = _dir.File("blocked.ckpt");
        Directory.CreateDirectory(blocked); // the rename onto a directory fails
        Assert.ThrowsAny<Exception>(() => CheckpointFile.Save(blocked, model, new CheckpointInfo { Model = model.Config }));
        Assert.Equal([blocked], Directory.GetFileSystemEntries(_dir.Path));
    }

    // ---------------------------------------------------------------- damaged and foreign files

    private string SavedCheckpoint(string name = "good.ckpt")
    {
        using var model = TrainedModel(TinyResNet, seed: 3);
        string path = _dir.File(name);
        CheckpointFile.Save(path, model, SampleInfo(model.Config));
        return path;
    }

    [Fact]
    public void TheAnnouncedHashIsTheVerifiedOneAndNullForAnythingElse()
    {
        string path = _dir.File("named.ckpt");
        using (var model = PolicyValueModel.Create(new ModelConfig { Architecture = ModelConfig.Quick, Channels = 4, Layers = 0 }, 1))
            Assert.Equal(CheckpointFile.Save(path, model, new CheckpointInfo { Model = model.Config }), CheckpointFile.AnnouncedSha256(path));
        Assert.Null(CheckpointFile.AnnouncedSha256(_dir.File("absent.ckpt")));
        string text = _dir.File("text.ckpt");
        File.WriteAllText(text, "This is not a checkpoint, but it is long enough to have a header's worth of bytes in it.");
        Assert.Null(CheckpointFile.AnnouncedSha256(text));
        File.WriteAllBytes(text, "KEISEICK"u8.ToArray());
        Assert.Null(CheckpointFile.AnnouncedSha256(text));
    }

    [Fact]
    public void MissingFile()
    {
        string path = _dir.File("nothing-here.ckpt");
        AssertRejected(path, "does not exist");
        Assert.Throws<CheckpointException>(() => CheckpointFile.ReadInfo(path));
    }

    [Fact]
    public void NotACheckpoint()
    {
        string path = _dir.File("notes.txt");
        File.WriteAllText(path, "This is not a checkpoint, but it is long enough to have a header's worth of bytes in it.");
        AssertRejected(path, "not a Keisei checkpoint");
        File.WriteAllBytes(path, []);
        AssertRejected(path, "not a Keisei checkpoint");
    }

    [Fact]
    public void TruncatedFiles()
    {
        string good = SavedCheckpoint();
        byte[] bytes = File.ReadAllBytes(good);
        string path = _dir.File("truncated.ckpt");
        foreach (int length in new[] { 8, 12, 20, 51, 52, 53, 100, bytes.Length / 2, bytes.Length - 1 })
        {
            File.WriteAllBytes(path, bytes[..length]);
            AssertRejected(path, "truncated");
        }
        foreach (int length in new[] { 1, 7 })
        {
            File.WriteAllBytes(path, bytes[..length]);
            Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path));
        }
    }

    [Fact]
    public void ExtraBytesAfterThePayload()
    {
        string good = SavedCheckpoint();
        string path = _dir.File("longer.ckpt");
        File.WriteAllBytes(path, [.. File.ReadAllBytes(good), 0]);
        AssertRejected(path, "1 bytes more");
    }

    [Fact]
    public void FlippedPayloadByteIsASha256Mismatch()
    {
        string good = SavedCheckpoint();
        byte[] bytes = File.ReadAllBytes(good);
        string path = _dir.File("flipped.ckpt");
        foreach (int at in new[] { HeaderSize, HeaderSize + 10, (HeaderSize + bytes.Length) / 2, bytes.Length - 1 })
        {
            var copy = (byte[])bytes.Clone();
            copy[at] ^= 0x01;
            File.WriteAllBytes(path, copy);
            AssertRejected(path, "SHA-256");
            Assert.Contains("corrupted", Assert.Throws<CheckpointException>(() => CheckpointFile.ReadInfo(path)).Message);
        }
        // A flipped byte in the stored hash itself is caught the same way.
        var hash = (byte[])bytes.Clone();
        hash[30] ^= 0x80;
        File.WriteAllBytes(path, hash);
        AssertRejected(path, "SHA-256");
    }

    [Fact]
    public void UnsupportedFormatVersion()
    {
        string good = SavedCheckpoint();
        byte[] bytes = File.ReadAllBytes(good);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 2);
        string path = _dir.File("future.ckpt");
        File.WriteAllBytes(path, bytes);
        AssertRejected(path, "format version 2");
    }

    /// <summary>The metadata JSON of a checkpoint's payload and the bytes after it.</summary>
    private static (JsonObject Metadata, byte[] Remainder) SplitPayload(string path)
    {
        byte[] payload = File.ReadAllBytes(path)[HeaderSize..];
        int length = BinaryPrimitives.ReadInt32LittleEndian(payload);
        var metadata = JsonNode.Parse(payload.AsSpan(4, length))!.AsObject();
        return (metadata, payload[(4 + length)..]);
    }

    /// <summary>Writes a checkpoint with valid header and hash around a hand-made payload.</summary>
    private static void WriteHandMade(string path, JsonObject metadata, byte[] rest)
    {
        byte[] json = System.Text.Encoding.UTF8.GetBytes(metadata.ToJsonString());
        var payload = new byte[4 + json.Length + rest.Length];
        BinaryPrimitives.WriteInt32LittleEndian(payload, json.Length);
        json.CopyTo(payload, 4);
        rest.CopyTo(payload, 4 + json.Length);
        CheckpointFile.WriteAtomically(path, payload);
    }

    [Fact]
    public void HandMadePayloadWithUnchangedMetadataLoads()
    {
        // Guards the helpers below: re-wrapping a good payload gives a good checkpoint.
        string good = SavedCheckpoint();
        var (metadata, rest) = SplitPayload(good);
        string path = _dir.File("rewrapped.ckpt");
        WriteHandMade(path, metadata, rest);
        using var model = CheckpointFile.Load(path).Model;
        Assert.Equal(ModelTests.TinyResNet, model.Config);
    }

    [Theory]
    [InlineData("tower_width", "16")]
    [InlineData("tower_depth", "2")]
    [InlineData("se_ratio", "0")]
    [InlineData("se_ratio", "0.5")]
    [InlineData("observation", "\"core46+\"")]
    [InlineData("architecture", "\"quick\"")]
    [InlineData("policy_head", "\"linear\"")]
    public void MetadataClaimingAnotherArchitectureThanTheWeightsIsRejected(string key, string json)
    {
        // The weights are those of a resnet 1×8 se0.25 core46; the metadata is changed to describe another model.
        string good = SavedCheckpoint();
        var (metadata, rest) = SplitPayload(good);
        metadata["model"]![key] = JsonNode.Parse(json);
        string path = _dir.File("mismatch.ckpt");
        WriteHandMade(path, metadata, rest);
        Assert.NotEqual(ModelTests.TinyResNet, CheckpointFile.ReadInfo(path).Info.Model); // the hash is valid, the metadata reads
        AssertRejected(path, "do not fit");
    }

    [Fact]
    public void ACheckpointFromBeforeThePolicyHeadChoiceLoadsWithTheLinearHead()
    {
        // Checkpoints written before model.policy_head existed have no such entry and hold Keisei's original linear head.
        using var linear = PolicyValueModel.Create(ModelTests.TinyQuick with { PolicyHead = ModelConfig.LinearHead }, seed: 4);
        string saved = _dir.File("linear.ckpt");
        CheckpointFile.Save(saved, linear, SampleInfo(linear.Config));
        var (metadata, rest) = SplitPayload(saved);
        Assert.True(metadata["model"]!.AsObject().Remove("policy_head"));
        string path = _dir.File("before-policy-head.ckpt");
        WriteHandMade(path, metadata, rest);
        using var loaded = CheckpointFile.Load(path).Model;
        Assert.Equal(ModelConfig.LinearHead, loaded.Config.PolicyHead);
        using var scope = torch.NewDisposeScope();
        var input = ModelTests.Observations(Core46Encoder.Instance, [Position.StartPosition()]);
        Assert.Equal(0f, ModelTests.MaxDifference(linear.forward(input).Logits, loaded.forward(input).Logits));
    }

    [Theory]
    [InlineData("model", "null")]
    [InlineData("counters", "null")]
    [InlineData("action_encoding", "\"other\"")]
    [InlineData("unknown_field", "1")]
    [InlineData("has_optimizer_state", "true")]
    public void InvalidMetadataIsACheckpointError(string key, string json)
    {
        string good = SavedCheckpoint();
        var (metadata, rest) = SplitPayload(good);
        metadata[key] = JsonNode.Parse(json);
        string path = _dir.File("bad-metadata.ckpt");
        WriteHandMade(path, metadata, rest);
        var e = Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void MetadataDescribingAnInvalidModelIsACheckpointError()
    {
        string good = SavedCheckpoint();
        var (metadata, rest) = SplitPayload(good);
        metadata["model"]!["tower_depth"] = 0;
        string path = _dir.File("invalid-model.ckpt");
        WriteHandMade(path, metadata, rest);
        AssertRejected(path, "tower_depth");
    }

    [Fact]
    public void MissingWeightsAreACheckpointError()
    {
        string good = SavedCheckpoint();
        var (metadata, _) = SplitPayload(good);
        string path = _dir.File("no-weights.ckpt");
        WriteHandMade(path, metadata, new byte[16]); // two empty sections
        AssertRejected(path, "no model weights");
        WriteHandMade(path, metadata, new byte[4]);
        AssertRejected(path, "ends before its model weights");
    }
}
