using Keisei.Evaluation.Players;
using Keisei.Evaluation.Storage;
using Keisei.Shogi;
using Microsoft.Data.Sqlite;

namespace Keisei.Evaluation.Tests.Evaluation;

public sealed class StoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-store-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void NewDatabaseHasTheCurrentSchemaInWalMode()
    {
        string path = Path.Combine(_dir, "a.db");
        using (var store = ResultsStore.Open(path)) Assert.Equal(ResultsStore.CurrentSchemaVersion, store.SchemaVersion);
        using var connection = new SqliteConnection($"Data Source={path}");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", cmd.ExecuteScalar());
    }

    [Fact]
    public void AGameIndexIsStoredOnce()
    {
        using var store = ResultsStore.Open(Path.Combine(_dir, "b.db"));
        long a = store.EnsurePlayer(new PlayerDescriptor("a", "random"));
        long b = store.EnsurePlayer(new PlayerDescriptor("b", "random"));
        long e = store.CreateEvaluation("key", a, "single_opponent", "{}", 2);
        long pair = store.EnsurePair(e, 0, 0, Position.StartSfen, a, b);
        Move[] moves = [UsiNotation.ParseMove(Position.StartPosition(), "7g7f")];
        Assert.True(store.RecordGame(e, pair, 0, a, b, Position.StartSfen, moves, GameResult.BlackWin, TerminationReason.Resignation, TimeSpan.FromSeconds(1), null));
        Assert.False(store.RecordGame(e, pair, 0, a, b, Position.StartSfen, moves, GameResult.WhiteWin, TerminationReason.Resignation, TimeSpan.FromSeconds(1), null));
        var game = Assert.Single(store.Games(e));
        Assert.Equal(GameResult.BlackWin, game.Result);
        Assert.Equal(["7g7f"], game.Moves);
        Assert.Equal(1, game.ScoreOf(a));
        Assert.Equal(0, game.ScoreOf(b));
    }

    [Fact]
    public void ANameCannotBeReusedForAnotherParticipant()
    {
        using var store = ResultsStore.Open(Path.Combine(_dir, "c.db"));
        store.EnsurePlayer(new PlayerDescriptor("x", "checkpoint", "/a", "aaaaaaaaaaaaaaaa"));
        Assert.Equal(store.EnsurePlayer(new PlayerDescriptor("x", "checkpoint", "/a", "aaaaaaaaaaaaaaaa")), store.FindPlayer("x")!.Id);
        var e = Assert.Throws<ResultsStoreException>(() => store.EnsurePlayer(new PlayerDescriptor("x", "checkpoint", "/b", "bbbbbbbbbbbbbbbb")));
        Assert.Contains("'x' already belongs to a different participant", e.Message);
    }

    [Fact]
    public void ANotADatabaseFileGivesAClearError()
    {
        string path = Path.Combine(_dir, "junk.db");
        File.WriteAllText(path, new string('x', 4096));
        var e = Assert.Throws<ResultsStoreException>(() => ResultsStore.Open(path));
        Assert.Contains(path, e.Message);
    }
}
