using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Scores;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Scores;

public sealed class OodScoresTests
{
    [Theory]
    [InlineData("test", "classes", "gen_default", OodScores.DefaultGenGamma, OodScores.DefaultGenTopClasses)]
    [InlineData("test", "classes", "gen_gamma05_m2", 0.5, 2)]
    [InlineData("wide", "wide_classes", "gen_wide_default", OodScores.DefaultGenGamma, OodScores.DefaultGenTopClasses)]
    public void Gen_MatchesTheNumPyReference(string input, string classes, string expected, double gamma, int top)
    {
        var golden = Golden.Load("ood_scores.json");
        using var p = torch.tensor(Golden.Vector(golden.GetProperty(input)), ScalarType.Float64).reshape(-1, golden.GetProperty(classes).GetInt64());

        using var scores = OodScores.Gen(p, gamma, top);

        Golden.ToArray(scores).Should().Equal(Golden.Vector(golden.GetProperty(expected)), (a, b) => Math.Abs(a - b) <= 1e-12);
    }

    [Fact]
    public void Gen_OneHotAndUniform_AreTheExtremes()
    {
        using var p = torch.tensor(new double[,] { { 1, 0, 0, 0 }, { 0.25, 0.25, 0.25, 0.25 } });

        using var scores = OodScores.Gen(p);

        scores[0].item<double>().Should().Be(0);
        scores[1].item<double>().Should().BeApproximately(4 * Math.Pow(0.25 * 0.75, 0.1), 1e-12);
    }

    [Theory]
    [InlineData(0.0, 1)]
    [InlineData(1.5, 1)]
    [InlineData(double.NaN, 1)]
    [InlineData(0.1, 0)]
    public void Gen_ParametersOutOfRange_NameThem(double gamma, int top)
    {
        using var p = torch.full(2, 3, 1.0 / 3);

        var act = () => OodScores.Gen(p, gamma, top);

        act.Should().Throw<ArgumentOutOfRangeException>().Where(e => e.ParamName == (top == 0 ? "topClasses" : "gamma"));
    }

    [Fact]
    public void Gen_Logits_RefusedAsProbabilities()
    {
        using var logits = torch.tensor(new double[,] { { 2.0, -1.0, 0.5 } });

        var act = () => OodScores.Gen(logits);

        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == "probabilities");
    }

    [Fact]
    public void KlMatching_MatchesTheNumPyReference()
    {
        var golden = Golden.Load("ood_scores.json");
        using var fit = torch.tensor(Golden.Vector(golden.GetProperty("fit")), ScalarType.Float64).reshape(-1, 5);
        using var test = torch.tensor(Golden.Vector(golden.GetProperty("test")), ScalarType.Float64).reshape(-1, 5);

        using var matching = KlMatching.Fit(fit);
        using var scores = matching.Score(test);

        matching.TemplateClasses.Should().HaveCount(golden.GetProperty("kl_templates").GetInt32()).And.NotContain(4, "class 4 is never predicted");
        Golden.ToArray(scores).Should().Equal(Golden.Vector(golden.GetProperty("kl_matching")), (a, b) => Math.Abs(a - b) <= 1e-12);
    }

    [Fact]
    public void KlMatching_TemplateItself_ScoresZero_AndTemplatesAreCopies()
    {
        using var fit = torch.tensor(new double[,] { { 0.7, 0.2, 0.1 }, { 0.9, 0.05, 0.05 }, { 0.1, 0.8, 0.1 } });
        using var matching = KlMatching.Fit(fit);
        using var templates = matching.Templates;
        templates.zero_();

        using var scores = matching.Score(torch.tensor(new double[,] { { 0.8, 0.125, 0.075 } }));

        scores.item<double>().Should().BeApproximately(0, 1e-15, "the first template is the mean of the two class-0 rows");
        matching.TemplateClasses.Should().Equal(0, 1);
    }

    [Fact]
    public void KlMatching_WrongClassCountOrDisposed_Refused()
    {
        var matching = KlMatching.Fit(torch.eye(3, dtype: ScalarType.Float64));
        using var four = torch.full(1, 4, 0.25);

        var wrong = () => matching.Score(four);
        wrong.Should().Throw<ArgumentException>().Where(e => e.ParamName == "probabilities").WithMessage("*3 classes*found 4*");
        matching.Dispose();
        var disposed = () => matching.Score(torch.eye(3, dtype: ScalarType.Float64));
        disposed.Should().Throw<ObjectDisposedException>().WithMessage("*KlMatching*");
    }
    [Theory]
    [InlineData(OodScores.DefaultMcmTemperature, "mcmScores")]
    [InlineData(0.5, "mcmScoresTau05")]
    public void MaxConceptMatching_MatchesThePyTorchReference(double temperature, string expected)
    {
        var golden = Golden.Load("zero_shot.json");
        using var images = Golden.MatrixTensor(golden.GetProperty("images"));
        using var concepts = FirstPrompts(golden);

        using var scores = OodScores.MaxConceptMatching(images, concepts, temperature);

        scores.dtype.Should().Be(ScalarType.Float64);
        Golden.ToArray(scores).Should().Equal(Golden.Vector(golden.GetProperty(expected)), (a, b) => Math.Abs(a - b) <= 1e-14);
    }

    [Fact]
    public void MaxConceptMatching_IsInItsRange_AndHighestForAnImageEquidistantFromEveryConcept()
    {
        using var concepts = torch.eye(3, dtype: ScalarType.Float64);
        using var images = torch.tensor(new double[,] { { 1, 1, 1 }, { 1, 0, 0 }, { -1, 2, 0.5 } });

        using var scores = OodScores.MaxConceptMatching(images, concepts);
        var values = Golden.ToArray(scores);

        values[0].Should().BeApproximately(2.0 / 3, 1e-15);
        values.Should().OnlyContain(v => v >= 0 && v <= 2.0 / 3 + 1e-15);
        values[1].Should().BeLessThan(values[0]);
    }

    [Fact]
    public void MaxConceptMatching_BadInput_Refused()
    {
        using var images = torch.ones(4, 3);
        using var wrongDimension = torch.ones(2, 5);
        using var oneConcept = torch.ones(1, 3);
        using var nan = torch.ones(4, 3);
        nan[2, 1] = torch.tensor(float.NaN);

        FluentActions.Invoking(() => OodScores.MaxConceptMatching(images, wrongDimension))
            .Should().Throw<ArgumentException>().WithParameterName("conceptEmbeddings").WithMessage("*(C, 3)*found (2, 5)*");
        FluentActions.Invoking(() => OodScores.MaxConceptMatching(images, oneConcept))
            .Should().Throw<ArgumentException>().WithParameterName("conceptEmbeddings");
        FluentActions.Invoking(() => OodScores.MaxConceptMatching(nan, images))
            .Should().Throw<ArgumentException>().WithParameterName("imageEmbeddings").WithMessage("*NaN*");
        FluentActions.Invoking(() => OodScores.MaxConceptMatching(images, images, 0))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("temperature");
    }

    private static Tensor FirstPrompts(System.Text.Json.JsonElement golden)
    {
        var rows = new System.Collections.Generic.List<double[]>();
        foreach (var concept in golden.GetProperty("text").EnumerateArray())
        {
            rows.Add(Golden.Vector(concept[0]));
        }

        var matrix = new double[rows.Count, rows[0].Length];
        for (var i = 0; i < rows.Count; i++)
        {
            for (var j = 0; j < rows[i].Length; j++)
            {
                matrix[i, j] = rows[i][j];
            }
        }

        return torch.tensor(matrix);
    }
}
