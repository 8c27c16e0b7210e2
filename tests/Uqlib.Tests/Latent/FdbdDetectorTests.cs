using System;
using System.IO;
using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

public sealed class FdbdDetectorTests
{
    private static readonly System.Text.Json.JsonElement Reference = Golden.Load("fdbd_nnguide.json");

    [Fact]
    public void Score_MatchesPaperFormula()
    {
        using var detector = FitGolden();
        using var q = Golden.MatrixTensor(Reference.GetProperty("queries"));
        using var scores = detector.Score(q);
        using var mean = detector.TrainingMean;

        scores.dtype.Should().Be(ScalarType.Float64);
        Golden.ToArray(mean).Should().Equal(Golden.Vector(Reference.GetProperty("trainMean")), (a, b) => LatentCases.CloseRelative(a, b, 1e-12));
        Golden.ToArray(scores).Should().Equal(Golden.Vector(Reference.GetProperty("fdbdScores")), (a, b) => LatentCases.CloseRelative(a, b, 1e-10));
    }

    [Fact]
    public void Score_Float32Features_MatchWithinFloat32Rounding()
    {
        using var detector = FitGolden();
        using var q = Golden.MatrixTensor(Reference.GetProperty("queries"), ScalarType.Float32);
        using var scores = detector.Score(q);

        Golden.ToArray(scores).Should().Equal(Golden.Vector(Reference.GetProperty("fdbdScores")), (a, b) => LatentCases.CloseRelative(a, b, 1e-5));
    }

    [Fact]
    public void Score_IsMinusAConfidence_AtMostZero()
    {
        using var detector = FitGolden();
        using var q = Golden.MatrixTensor(Reference.GetProperty("queries"));
        using var scores = detector.Score(q);

        scores.le(0).all().ToBoolean().Should().BeTrue();
        scores.lt(0).any().ToBoolean().Should().BeTrue();
    }

    [Fact]
    public void Score_FeatureAtTrainingMean_IsNegativeInfinity()
    {
        using var detector = FitGolden();
        using var mean = detector.TrainingMean;
        using var q = mean.unsqueeze(0);
        using var scores = detector.Score(q);

        scores.ToDouble().Should().Be(double.NegativeInfinity);
    }

    [Fact]
    public void Score_AtTrainingMeanOnEveryBoundary_Throws()
    {
        using var x = torch.tensor(new double[,] { { 1, 0 }, { -1, 0 }, { 0, 1 }, { 0, -1 } });
        using var w = torch.tensor(new double[,] { { 1, 0 }, { -1, 0 } });
        using var detector = FdbdDetector.Fit(x, w);
        using var q = torch.zeros(2, 2, dtype: ScalarType.Float64);
        q[0, 0] = torch.tensor(1.0);

        var act = () => detector.Score(q);

        act.Should().Throw<ArgumentException>().WithParameterName("features").WithMessage("*row 1*training mean*");
    }

    [Fact]
    public void Score_TwoClasses_IsMinusDistanceToTheBoundaryOverDistanceToMean()
    {
        // Classes 0 and 1 split at x₀ = 0.5: the boundary distance of (2, 0) is 1.5; the training mean is (0, 0), at distance 2.
        using var x = torch.tensor(new double[,] { { 1, 1 }, { -1, -1 } });
        using var w = torch.tensor(new double[,] { { 1, 0 }, { -1, 0 } });
        using var b = torch.tensor(new double[] { -0.5, 0.5 });
        using var detector = FdbdDetector.Fit(x, w, b);
        using var q = torch.tensor(new double[,] { { 2, 0 } });
        using var scores = detector.Score(q);

        scores.ToDouble().Should().BeApproximately(-1.5 / 2, 1e-15);
    }

    [Fact]
    public void Fit_OneClass_Throws()
    {
        using var x = torch.ones(4, 3);
        using var w = torch.ones(1, 3);

        var act = () => FdbdDetector.Fit(x, w);

        act.Should().Throw<ArgumentException>().WithParameterName("weight").WithMessage("*at least 2 classes*(1, 3)*");
    }

    [Fact]
    public void Fit_EqualWeightRows_Throws()
    {
        using var x = torch.ones(4, 3);
        using var w = torch.tensor(new float[,] { { 1, 2, 3 }, { 0, 1, 0 }, { 1, 2, 3 } });

        var act = () => FdbdDetector.Fit(x, w);

        act.Should().Throw<ArgumentException>().WithParameterName("weight").WithMessage("*two equal rows*");
    }

    [Fact]
    public void Fit_WeightShapeMismatch_Throws()
    {
        using var x = torch.ones(4, 3);
        using var w = torch.ones(2, 5);

        var act = () => FdbdDetector.Fit(x, w);

        act.Should().Throw<ArgumentException>().WithParameterName("weight").WithMessage("*(C, 3)*(2, 5)*");
    }

    [Fact]
    public void Fit_Cancelled_Throws()
    {
        using var x = torch.ones(4, 3);
        using var w = torch.eye(3);
        using var source = new System.Threading.CancellationTokenSource();
        source.Cancel();

        var act = () => FdbdDetector.Fit(x, w, null, null, source.Token);

        act.Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void Score_NaNOrWrongDimension_Throws()
    {
        using var detector = FitGolden();
        using var nan = torch.ones(2, 16);
        nan[1, 3] = torch.tensor(float.NaN);
        using var wrong = torch.ones(2, 10);

        FluentActions.Invoking(() => detector.Score(nan)).Should().Throw<ArgumentException>().WithMessage("*NaN*row 1*");
        FluentActions.Invoking(() => detector.Score(wrong)).Should().Throw<ArgumentException>().WithMessage("*dimension 16*(2, 10)*");
    }

    [Fact]
    public void SaveLoad_RoundTrip_GivesIdenticalScores_AndCorruptionIsRefused()
    {
        using var detector = FitGolden();
        using var q = Golden.MatrixTensor(Reference.GetProperty("queries"));

        SavedFiles.ShouldRoundTripScores_AndRefuseCorruptions(detector, detector.Save, FdbdDetector.Load, (d, x) => d.Score(x), q, "FdbdDetector");
    }

    [Fact]
    public void ToString_NamesClassesAndDimension()
    {
        using var detector = FitGolden();

        detector.ToString().Should().Be("FdbdDetector(C=5, F=16)");
    }

    [Fact]
    public void ItsTensors_AreCopies_AndDisposeMakesEveryMemberThrow()
    {
        using var q = Golden.MatrixTensor(Reference.GetProperty("queries"));
        var detector = FitGolden();
        Ownership.ShouldHandOutCopies_AndRefuseUseAfterDispose(
            detector, () => detector.Score(q), () => detector.Weight, () => detector.Bias, () => detector.TrainingMean);
    }

    [Fact]
    public void FitAndScore_LeakNoTensors()
    {
        using var q = Golden.MatrixTensor(Reference.GetProperty("queries"));
        var before = LiveTensors.Count;
        using (var detector = FitGolden())
        {
            detector.Score(q).Dispose();
        }

        LiveTensors.Count.Should().Be(before);
    }

    private static FdbdDetector FitGolden()
    {
        using var x = Golden.MatrixTensor(Reference.GetProperty("features"));
        using var w = Golden.MatrixTensor(Reference.GetProperty("weight"));
        using var b = Golden.VectorTensor(Reference.GetProperty("bias"));
        return FdbdDetector.Fit(x, w, b);
    }
}
