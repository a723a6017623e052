using Keisei.Evaluation.Statistics;

namespace Keisei.Evaluation.Tests.Statistics;

public class SprtTests
{
    private static SprtParameters Normalized(double elo0, double elo1) => new(elo0, elo1, 0.05, 0.05, SprtModel.Normalized);

    private static SprtParameters Logistic(double elo0, double elo1) => new(elo0, elo1, 0.05, 0.05, SprtModel.Logistic);

    // Golden vectors of reference/ratings.md, LLR to ±0.01 (printed to two decimals).
    [Theory]
    [InlineData(0.0, 2.0, 36433, 36027, 68692, 0.92)]
    [InlineData(-1.75, 0.25, 10871, 10650, 20431, 2.30)]
    public void GoldenNormalizedTrinomial(double elo0, double elo1, int w, int l, int d, double llr) =>
        Assert.Equal(llr, Sprt.Llr(Normalized(elo0, elo1), new WdlCounts(w, d, l)), 0.01);

    [Theory]
    [InlineData(0.5, 2.5, 21404, 21184, 40708, -1.57)]
    [InlineData(0.0, 2.0, 57433, 57030, 106593, -2.59)]
    public void GoldenLogisticTrinomial(double elo0, double elo1, int w, int l, int d, double llr) =>
        Assert.Equal(llr, Sprt.Llr(Logistic(elo0, elo1), new WdlCounts(w, d, l)), 0.01);

    [Theory]
    [InlineData(0.0, 2.0, 365, 16618, 36029, 200, 16974, 390, 2.25)]
    [InlineData(-1.75, 0.25, 127, 4883, 10311, 401, 5150, 104, 3.01)]
    public void GoldenNormalizedPentanomial(double elo0, double elo1, int ll, int ld, int wl, int dd, int wd, int ww, double llr) =>
        Assert.Equal(llr, Sprt.Llr(Normalized(elo0, elo1), new PairCounts(ll, ld, wl, dd, wd, ww)), 0.01);

    [Fact]
    public void BoundsForFivePercentErrors()
    {
        var p = Normalized(0, 2);
        Assert.Equal(-2.944, p.LowerBound, 0.0005);
        Assert.Equal(2.944, p.UpperBound, 0.0005);
        Assert.Equal(Math.Log(0.05 / 0.95), p.LowerBound, 1e-15);
        Assert.Equal(Math.Log(0.95 / 0.05), p.UpperBound, 1e-15);

        var asymmetric = new SprtParameters(0, 10, alpha: 0.1, beta: 0.2, model: SprtModel.Logistic);
        Assert.Equal(Math.Log(0.2 / 0.9), asymmetric.LowerBound, 1e-15);
        Assert.Equal(Math.Log(0.8 / 0.1), asymmetric.UpperBound, 1e-15);
    }

    [Fact]
    public void DecisionsAtAndAroundTheBounds()
    {
        var p = Logistic(0, 10);
        Assert.Equal(SprtDecision.AcceptH1, p.Decide(p.UpperBound));
        Assert.Equal(SprtDecision.AcceptH1, p.Decide(p.UpperBound + 1));
        Assert.Equal(SprtDecision.Continue, p.Decide(Math.BitDecrement(p.UpperBound)));
        Assert.Equal(SprtDecision.AcceptH0, p.Decide(p.LowerBound));
        Assert.Equal(SprtDecision.AcceptH0, p.Decide(p.LowerBound - 1));
        Assert.Equal(SprtDecision.Continue, p.Decide(Math.BitIncrement(p.LowerBound)));
        Assert.Equal(SprtDecision.Continue, p.Decide(0));
        Assert.Equal(SprtDecision.Continue, p.Decide(double.NaN));
    }

    [Fact]
    public void EvaluateReportsLlrBoundsAndDecision()
    {
        var p = Normalized(-1.75, 0.25);
        var r = Sprt.Evaluate(p, new PairCounts(127, 4883, 10311, 401, 5150, 104));
        Assert.Equal(SprtDecision.AcceptH1, r.Decision);
        Assert.Equal(p.UpperBound, r.UpperBound);
        Assert.Equal(p.LowerBound, r.LowerBound);

        var weak = Sprt.Evaluate(Logistic(0, 2), new WdlCounts(57433, 106593, 57030));
        Assert.Equal(SprtDecision.Continue, weak.Decision);

        // A clearly weaker candidate against a [0, 10] gate is rejected; a clearly stronger one accepted.
        Assert.Equal(SprtDecision.AcceptH0, Sprt.Evaluate(Logistic(0, 10), new WdlCounts(300, 100, 400)).Decision);
        Assert.Equal(SprtDecision.AcceptH1, Sprt.Evaluate(Logistic(0, 10), new WdlCounts(450, 100, 250)).Decision);
        Assert.Equal(SprtDecision.Continue, Sprt.Evaluate(Logistic(0, 10), new WdlCounts(400, 100, 300)).Decision);
    }

    [Fact]
    public void NoGamesGivesZeroAndExtremeCountsStayFinite()
    {
        Assert.Equal(0.0, Sprt.Llr(Logistic(0, 10), WdlCounts.Empty));
        Assert.Equal(0.0, Sprt.Llr(Normalized(0, 2), PairCounts.Empty));
        foreach (var counts in new[] { new WdlCounts(50, 0, 0), new WdlCounts(0, 0, 50), new WdlCounts(0, 50, 0) })
        {
            Assert.True(double.IsFinite(Sprt.Llr(Logistic(0, 10), counts)));
            Assert.True(double.IsFinite(Sprt.Llr(Normalized(0, 5), counts)));
            Assert.True(double.IsFinite(Sprt.Llr(Normalized(-1.75, 0.25), counts)));
        }

        // Values of the reference algorithm (fishtest-style, uniform start) for lopsided counts.
        Assert.Equal(0.7143, Sprt.Llr(Normalized(0, 5), new WdlCounts(50, 0, 0)), 0.001);
        Assert.Equal(-0.7247, Sprt.Llr(Normalized(0, 5), new WdlCounts(0, 0, 50)), 0.001);
        Assert.True(Sprt.Llr(Normalized(0, 5), new PairCounts(0, 0, 0, 0, 0, 30)) > 0);

        Assert.True(Sprt.Llr(Logistic(0, 10), new WdlCounts(50, 0, 0)) > 0);
        Assert.True(Sprt.Llr(Logistic(0, 10), new WdlCounts(0, 0, 50)) < 0);
    }

    [Fact]
    public void UnreachableNormalizedHypothesisGivesNaNAndContinues()
    {
        // t = 2000/347 ≈ 5.8: no distribution reachable by the reweighting has that t-value, so φ never changes sign.
        var p = Normalized(0, 2000);
        var r = Sprt.Evaluate(p, new WdlCounts(30, 40, 30));
        Assert.True(double.IsNaN(r.Llr));
        Assert.Equal(SprtDecision.Continue, r.Decision);
    }

    [Fact]
    public void LlrIsAntisymmetricUnderMirroring()
    {
        var c = new WdlCounts(120, 200, 90);
        var forward = Sprt.Llr(Logistic(-5, 5), c);
        var mirrored = Sprt.Llr(Logistic(-5, 5), c.Mirrored);
        Assert.Equal(-forward, mirrored, 1e-8);
    }

    [Fact]
    public void ParseReadsAllKeys()
    {
        var p = SprtParameters.Parse("elo0=0,elo1=10,alpha=0.05,beta=0.05,model=normalized");
        Assert.Equal(new SprtParameters(0, 10, 0.05, 0.05, SprtModel.Normalized), p);

        var q = SprtParameters.Parse(" MODEL = logistic , elo1=2.5, elo0=-1.75e0 ,beta=0.1");
        Assert.Equal(-1.75, q.Elo0);
        Assert.Equal(2.5, q.Elo1);
        Assert.Equal(0.05, q.Alpha);
        Assert.Equal(0.1, q.Beta);
        Assert.Equal(SprtModel.Logistic, q.Model);

        Assert.Equal(q, SprtParameters.Parse(q.ToString()));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("elo0=0", "'elo1' is missing")]
    [InlineData("elo1=5", "'elo0' is missing")]
    [InlineData("elo0=0,elo1=ten", "'elo1': expected a number, found 'ten'")]
    [InlineData("elo0=0,elo1=10,alpha=1.5", "'alpha': expected a number in (0, 1), found '1.5'")]
    [InlineData("elo0=0,elo1=10,beta=0", "'beta': expected a number in (0, 1), found '0'")]
    [InlineData("elo0=0,elo1=10,model=bayesian", "'model': expected 'normalized' or 'logistic', found 'bayesian'")]
    [InlineData("elo0=0,elo1=10,gamma=3", "unknown SPRT parameter 'gamma'")]
    [InlineData("elo0=0,elo1=10,elo0=1", "'elo0' is given twice")]
    [InlineData("elo0=0,elo1", "'elo1' has no '='")]
    [InlineData("elo0=0,,elo1=2", "empty entry")]
    [InlineData("elo0=5,elo1=5", "'elo1': must be greater than elo0")]
    [InlineData("elo0=0,elo1=5,alpha=0.6,beta=0.5", "sum must be less than 1")]
    [InlineData("elo0=0,elo1=NaN", "'elo1': expected a number, found 'NaN'")]
    public void ParseErrorsNameTheKeyAndValue(string text, string fragment)
    {
        var ex = Assert.Throws<FormatException>(() => SprtParameters.Parse(text));
        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
        Assert.False(SprtParameters.TryParse(text, out var result, out var error));
        Assert.Null(result);
        Assert.Equal(ex.Message, error);
    }

    [Fact]
    public void ConstructorRejectsInvalidParameters()
    {
        Assert.Throws<ArgumentException>(() => new SprtParameters(10, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SprtParameters(0, 10, alpha: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SprtParameters(0, 10, beta: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SprtParameters(double.NaN, 10));
    }
}
