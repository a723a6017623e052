using Keisei.Evaluation.Statistics;

namespace Keisei.Evaluation.Tests.Statistics;

public class BradleyTerryTests
{
    private static IEnumerable<PairwiseGame> Repeat(string a, string b, int wins, int draws, int losses)
    {
        for (var i = 0; i < wins; i++)
        {
            yield return new PairwiseGame(a, b, 1);
        }

        for (var i = 0; i < draws; i++)
        {
            yield return new PairwiseGame(a, b, 0.5);
        }

        for (var i = 0; i < losses; i++)
        {
            yield return new PairwiseGame(a, b, 0);
        }
    }

    /// <summary>Games drawn from known ratings: expected score s(R_a − R_b), a quarter of the games drawn where possible.</summary>
    private static List<PairwiseGame> Simulate(IReadOnlyDictionary<string, double> truth, int gamesPerPair, int seed)
    {
        var rng = new Random(seed);
        var names = truth.Keys.ToArray();
        var games = new List<PairwiseGame>();
        for (var i = 0; i < names.Length; i++)
        {
            for (var j = i + 1; j < names.Length; j++)
            {
                var s = Normal.ScoreFromElo(truth[names[i]] - truth[names[j]]);
                var draw = Math.Min(0.25, 2 * Math.Min(s, 1 - s));
                var win = s - draw / 2;
                for (var g = 0; g < gamesPerPair; g++)
                {
                    var u = rng.NextDouble();
                    var score = u < win ? 1.0 : u < win + draw ? 0.5 : 0.0;
                    games.Add(g % 2 == 0 ? new PairwiseGame(names[i], names[j], score) : new PairwiseGame(names[j], names[i], 1 - score));
                }
            }
        }

        return games;
    }

    [Fact]
    public void TwoPlayersMatchTheClosedForm()
    {
        // 7 wins, 3 losses: the MLE difference is E(0.7) and its SE is (400/ln 10)/√(n·p(1−p)).
        var fit = BradleyTerry.Fit(Repeat("A", "B", 7, 0, 3), new BradleyTerryOptions { Anchor = "B", RegularizationGames = 1e-9 });
        Assert.True(fit.Converged);
        Assert.Equal(147.19, fit["A"].Rating, 0.01);
        Assert.Equal(0.0, fit["B"].Rating);
        Assert.Equal(400 / Math.Log(10) / Math.Sqrt(10 * 0.21), fit["A"].StandardError, 0.01);
        Assert.Equal(0.0, fit["B"].StandardError);
        Assert.Equal(10, fit["A"].Games);
        Assert.Equal(7.0, fit["A"].Points);
        Assert.Equal(0.7, fit["A"].Score, 1e-15);
        Assert.Equal(0.3, fit["B"].Score, 1e-15);
        Assert.False(fit["A"].DependsOnRegularization);
        Assert.Equal(new[] { "A", "B" }, fit.Ratings.Select(r => r.Player));
        Assert.Equal(Normal.Cdf(147.19 / fit["A"].StandardError), fit["A"].LosOverNext, 1e-4);
        Assert.True(double.IsNaN(fit["B"].LosOverNext));
    }

    [Fact]
    public void RecoversKnownRatingsOfASyntheticPool()
    {
        var truth = new Dictionary<string, double>
        {
            ["p0"] = 0, ["p1"] = 120, ["p2"] = -80, ["p3"] = 250, ["p4"] = 40, ["p5"] = -200,
        };
        var games = Simulate(truth, 200, seed: 12345);
        var fit = BradleyTerry.Fit(games, new BradleyTerryOptions { Anchor = "p0" });
        Assert.True(fit.Converged);
        Assert.Equal(0.0, fit["p0"].Rating);
        foreach (var (name, rating) in truth)
        {
            var r = fit[name];
            Assert.Equal(1000, r.Games);
            Assert.False(r.DependsOnRegularization);
            if (name != "p0")
            {
                Assert.InRange(r.StandardError, 5, 30);
                Assert.True(Math.Abs(r.Rating - rating) < 3 * r.StandardError, $"{name}: fitted {r.Rating:F1} ± {r.StandardError:F1}, true {rating}");
            }
        }

        Assert.Equal(new[] { "p3", "p1", "p4", "p0", "p2", "p5" }, fit.Ratings.Select(r => r.Player));
        Assert.All(fit.Ratings.SkipLast(1), r => Assert.True(r.LosOverNext > 0.9, $"{r.Player} LOS {r.LosOverNext}"));
    }

    [Fact]
    public void AnchorIsRespectedAndShiftsEveryone()
    {
        var games = Simulate(new Dictionary<string, double> { ["a"] = 0, ["b"] = 100, ["c"] = 200 }, 50, seed: 7);
        var at0 = BradleyTerry.Fit(games, new BradleyTerryOptions { Anchor = "b" });
        var at1500 = BradleyTerry.Fit(games, new BradleyTerryOptions { Anchor = "b", ReferenceRating = 1500 });
        Assert.Equal(0.0, at0["b"].Rating);
        Assert.Equal(1500.0, at1500["b"].Rating);
        Assert.Equal(0.0, at1500["b"].StandardError);
        foreach (var name in new[] { "a", "c" })
        {
            Assert.Equal(at0[name].Rating + 1500, at1500[name].Rating, 1e-8);
            Assert.Equal(at0[name].StandardError, at1500[name].StandardError, 1e-10);
        }

        // Re-anchoring changes the differences by nothing.
        var atA = BradleyTerry.Fit(games, new BradleyTerryOptions { Anchor = "a" });
        Assert.Equal(at0["c"].Rating - at0["a"].Rating, atA["c"].Rating, 1e-8);
    }

    [Fact]
    public void MeanModeFixesThePoolMean()
    {
        var games = Simulate(new Dictionary<string, double> { ["a"] = 0, ["b"] = 100, ["c"] = 200, ["d"] = -50 }, 40, seed: 99);
        var fit = BradleyTerry.Fit(games, new BradleyTerryOptions { ReferenceRating = 1000 });
        Assert.Equal(1000, fit.Ratings.Average(r => r.Rating), 1e-9);
        var anchored = BradleyTerry.Fit(games, new BradleyTerryOptions { Anchor = "a" });
        Assert.Equal(anchored["c"].Rating - anchored["d"].Rating, fit["c"].Rating - fit["d"].Rating, 1e-8);

        // The mean has zero variance: each row of the covariance sums to zero.
        var names = new[] { "a", "b", "c", "d" };
        foreach (var x in names)
        {
            Assert.Equal(0.0, names.Sum(y => fit.Covariance(x, y)), 1e-8);
            Assert.True(fit[x].StandardError > 0);
        }

        // The difference between two players has the same variance in both parameterisations.
        Assert.Equal(1 - anchored.Los("c", "b"), anchored.Los("b", "c"), 1e-12);
        Assert.Equal(anchored.Los("c", "b"), fit.Los("c", "b"), 1e-8);
    }

    [Fact]
    public void SymmetricResultsGiveEqualRatings()
    {
        // A rock–paper–scissors cycle and an all-draw pair: nobody is better.
        var cycle = Repeat("A", "B", 3, 0, 1).Concat(Repeat("B", "C", 3, 0, 1)).Concat(Repeat("C", "A", 3, 0, 1)).ToList();
        var fit = BradleyTerry.Fit(cycle);
        Assert.All(fit.Ratings, r => Assert.Equal(0.0, r.Rating, 1e-8));
        Assert.Equal(fit["A"].StandardError, fit["B"].StandardError, 1e-9);
        Assert.Equal(fit["A"].StandardError, fit["C"].StandardError, 1e-9);
        Assert.All(fit.Ratings.SkipLast(1), r => Assert.Equal(0.5, r.LosOverNext, 1e-9));

        var draws = BradleyTerry.Fit(Repeat("X", "Y", 0, 6, 0), new BradleyTerryOptions { Anchor = "X", ReferenceRating = 1500 });
        Assert.Equal(1500, draws["Y"].Rating, 1e-8);

        var mirror = BradleyTerry.Fit(Repeat("X", "Y", 5, 2, 3).Concat(Repeat("Y", "X", 5, 2, 3)));
        Assert.Equal(mirror["X"].Rating, mirror["Y"].Rating, 1e-8);
    }

    [Fact]
    public void StandardErrorsShrinkWithMoreGames()
    {
        IEnumerable<PairwiseGame> Pool(int k) =>
            Repeat("A", "B", 6 * k, 2 * k, 4 * k).Concat(Repeat("B", "C", 5 * k, 3 * k, 4 * k)).Concat(Repeat("A", "C", 7 * k, 1 * k, 4 * k));

        var small = BradleyTerry.Fit(Pool(1), new BradleyTerryOptions { Anchor = "A" });
        var large = BradleyTerry.Fit(Pool(4), new BradleyTerryOptions { Anchor = "A" });
        foreach (var name in new[] { "B", "C" })
        {
            Assert.True(large[name].StandardError < small[name].StandardError);
            Assert.Equal(0.5, large[name].StandardError / small[name].StandardError, 0.01);
            Assert.Equal(small[name].Rating, large[name].Rating, 1.0);
        }
    }

    [Fact]
    public void SeriesPriorKeepsASparselyConnectedSeriesFinite()
    {
        // Each checkpoint played only its predecessor and won every game: without a prior the MLE does not exist.
        var order = Enumerable.Range(0, 6).Select(i => $"c{i}").ToArray();
        var games = new List<PairwiseGame>();
        for (var i = 0; i + 1 < order.Length; i++)
        {
            games.AddRange(Repeat(order[i + 1], order[i], 4, 0, 0));
        }

        var bare = BradleyTerry.Fit(games, new BradleyTerryOptions { Anchor = "c0" });
        Assert.True(bare.Converged);
        Assert.All(bare.Ratings, r => Assert.True(double.IsFinite(r.Rating) && double.IsFinite(r.StandardError)));
        Assert.All(order.Skip(1), name => Assert.True(bare[name].DependsOnRegularization));

        var withPrior = BradleyTerry.Fit(games, new BradleyTerryOptions { Anchor = "c0", SeriesOrder = order, SeriesPriorDraws = 2 });
        Assert.True(withPrior.Converged);
        Assert.All(withPrior.Ratings, r => Assert.False(r.DependsOnRegularization));

        // A chain factorises: each step is about E((4 + 1)/6) = 400·log10 5 ≈ 279.6 Elo. The regularisation pulls each
        // player by at most ε/2 = 0.05 points, which shrinks the steps (most at the ends) by well under 0.1 SE (~190 Elo).
        for (var i = 0; i + 1 < order.Length; i++)
        {
            var step = withPrior[order[i + 1]].Rating - withPrior[order[i]].Rating;
            Assert.InRange(step, 255, 280);
            Assert.True(withPrior[order[i + 1]].StandardError > withPrior[order[i]].StandardError);
        }

        // The prior's virtual games are not counted as played games.
        Assert.Equal(4, withPrior["c0"].Games);
        Assert.Equal(8, withPrior["c1"].Games);
        Assert.True(bare["c5"].Rating - bare["c0"].Rating > withPrior["c5"].Rating - withPrior["c0"].Rating);
    }

    [Fact]
    public void SeriesPriorRatesACheckpointWithoutGames()
    {
        var games = Repeat("c0", "c1", 3, 4, 3).ToList();
        var fit = BradleyTerry.Fit(games, new BradleyTerryOptions { Anchor = "c0", SeriesOrder = ["c0", "c1", "c2"], SeriesPriorDraws = 2 });
        Assert.Equal(0, fit["c2"].Games);
        Assert.True(double.IsNaN(fit["c2"].Score));
        Assert.False(fit["c2"].DependsOnRegularization);
        Assert.Equal(0, fit["c2"].Rating, 1e-6);
        Assert.True(fit["c2"].StandardError > fit["c1"].StandardError);
    }

    [Fact]
    public void DisconnectedAndUnbeatenPlayersAreFlaggedNotDivergent()
    {
        var games = Repeat("A", "B", 5, 2, 3)
            .Concat(Repeat("C", "D", 4, 4, 2)) // never met A or B
            .Concat(Repeat("X", "A", 10, 0, 0)) // X won every game
            .Concat(Repeat("X", "B", 10, 0, 0))
            .ToList();
        var fit = BradleyTerry.Fit(games, new BradleyTerryOptions { Anchor = "A" });
        Assert.True(fit.Converged);
        Assert.All(fit.Ratings, r => Assert.True(double.IsFinite(r.Rating) && double.IsFinite(r.StandardError)));
        Assert.False(fit["A"].DependsOnRegularization);
        Assert.False(fit["B"].DependsOnRegularization);
        Assert.True(fit["C"].DependsOnRegularization);
        Assert.True(fit["D"].DependsOnRegularization);
        Assert.True(fit["X"].DependsOnRegularization);
        Assert.Equal("X", fit.Ratings[0].Player);
        Assert.True(fit["X"].StandardError > 200);
        Assert.True(fit["C"].StandardError > 500);

        // With no anchor and a graph that is not strongly connected, nobody's mean-relative rating is determined.
        var mean = BradleyTerry.Fit(games);
        Assert.All(mean.Ratings, r => Assert.True(r.DependsOnRegularization));
        Assert.Equal(0, mean.Ratings.Average(r => r.Rating), 1e-8);
    }

    [Fact]
    public void DefaultRegularisationBarelyMovesAWellConnectedPool()
    {
        var games = Repeat("A", "B", 7, 0, 3).ToList();
        var fit = BradleyTerry.Fit(games, new BradleyTerryOptions { Anchor = "B" });
        // 0.1 virtual draws: the score becomes 7.05/10.1.
        Assert.Equal(Normal.EloFromScore(7.05 / 10.1), fit["A"].Rating, 1e-6);
        Assert.True(Math.Abs(fit["A"].Rating - 147.19) < 0.05 * fit["A"].StandardError);
    }

    [Fact]
    public void InvalidInputIsRejectedWithAClearMessage()
    {
        Assert.Contains("0.25", Assert.Throws<ArgumentException>(() => BradleyTerry.Fit([new PairwiseGame("A", "B", 0.25)])).Message);
        Assert.Contains("itself", Assert.Throws<ArgumentException>(() => BradleyTerry.Fit([new PairwiseGame("A", "A", 1)])).Message);
        Assert.Contains("'Z'", Assert.Throws<ArgumentException>(() => BradleyTerry.Fit([new PairwiseGame("A", "B", 1)], new BradleyTerryOptions { Anchor = "Z" })).Message);
        Assert.Throws<ArgumentException>(() => BradleyTerry.Fit([new PairwiseGame("A", "B", 1)], new BradleyTerryOptions { RegularizationGames = 0 }));
        Assert.Throws<ArgumentException>(() => BradleyTerry.Fit([new PairwiseGame("A", "B", 1)], new BradleyTerryOptions { SeriesOrder = ["A", "A"] }));
        Assert.Throws<KeyNotFoundException>(() => BradleyTerry.Fit([new PairwiseGame("A", "B", 1)])["Q"]);
    }

    [Fact]
    public void EmptyAndSinglePlayerPools()
    {
        Assert.Empty(BradleyTerry.Fit([]).Ratings);
        var single = BradleyTerry.Fit([], new BradleyTerryOptions { SeriesOrder = ["only"], ReferenceRating = 1200 });
        Assert.Equal(1200, single["only"].Rating);
        Assert.Equal(0, single["only"].StandardError);
    }
}
