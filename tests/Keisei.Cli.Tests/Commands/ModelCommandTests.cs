namespace Keisei.Cli.Tests;

public sealed class ModelCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-cli-model-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary><c>model init --set</c> means what <c>config</c> and <c>train</c> mean by it: the schema's keys, YAML values, its messages.</summary>
    [Fact]
    public void ModelInitSetReadsTheSchemaLikeEveryOtherCommand()
    {
        string path = Path.Combine(_dir, "m.ckpt");
        var ok = CliRunner.Run("model", "init", "--arch", "quick", "--set", "model.channels=8", "--set", "model.policy_head=linear",
            "--set", "env.observation='core46+'", "--out", path);
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        Assert.Contains("quick 3x8 core46+ linear-head", ok.Stdout);

        var typo = CliRunner.Run("model", "init", "--arch", "quick", "--set", "model.chanels=8", "--out", path, "--force");
        Assert.Equal(2, typo.ExitCode);
        Assert.Contains("did you mean 'channels'", typo.Stderr);

        var range = CliRunner.Run("model", "init", "--arch", "quick", "--set", "model.channels=abc", "--out", path, "--force");
        Assert.Equal(2, range.ExitCode);
        Assert.Contains("--set model.channels=abc", range.Stderr);

        var other = CliRunner.Run("model", "init", "--arch", "quick", "--set", "training.gamma=0.5", "--out", path, "--force");
        Assert.Equal(2, other.ExitCode);
        Assert.Contains("only model.* keys and env.observation can be set here", other.Stderr);
    }
}
