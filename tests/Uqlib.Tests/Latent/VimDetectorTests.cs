using System;
using System.IO;
using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

public sealed class VimDetectorTests
{
    private static readonly System.Text.Json.JsonElement Reference = Golden.Load("vim.json");

    [Fact]
    public void Score_MatchesOpenOodVim()
    {
        using var detector = FitGolden();
        using var q = Golden.MatrixTensor(Reference.GetProperty("queries"));
        using var scores = detector.Score(q);
        using var virtualLogits = detector.VirtualLogits(q);
        using var origin = Golden.VectorTensor(Reference.GetProperty("origin"));

        detector.Alpha.Should().BeApproximately(Reference.GetProperty("alpha").GetDouble(), 1e-9 * detector.Alpha);
        detector.PrincipalDimension.Should().Be(5);
        using var storedOrigin = detector.Origin;
        storedOrigin.allclose(origin, rtol: 1e-9, atol: 1e-12).Should().BeTrue();
        Golden.ToArray(virtualLogits).Should().Equal(Golden.Vector(Reference.GetProperty("virtualLogits")), (a, b) => LatentCases.CloseRelative(a, b, 1e-8));
        Golden.ToArray(scores).Should().Equal(Golden.Vector(Reference.GetProperty("scores")), (a, b) => LatentCases.CloseRelative(a, b, 1e-8));
    }

    [Fact]
    public void Fit_DefaultPrincipalDimension_IsHalfForSmallFeatures()
    {
        using var x = Golden.MatrixTensor(Reference.GetProperty("features"));
        using var w = Golden.MatrixTensor(Reference.GetProperty("weight"));
        using var detector = VimDetector.Fit(x, w);

        detector.PrincipalDimension.Should().Be(6);
        using var basis = detector.ResidualBasis;
        basis.shape.Should().Equal(12, 6);
    }

    [Fact]
    public void Fit_PrincipalDimensionNotBelowFeatures_Throws()
    {
        using var x = Golden.MatrixTensor(Reference.GetProperty("features"));
        using var w = Golden.MatrixTensor(Reference.GetProperty("weight"));

        var act = () => VimDetector.Fit(x, w, null, new VimOptions { PrincipalDimension = 12 });

        act.Should().Throw<ArgumentException>().WithMessage("*below the feature dimension 12*");
    }

    [Fact]
    public void Fit_WeightShapeMismatch_Throws()
    {
        using var x = Golden.MatrixTensor(Reference.GetProperty("features"));
        using var w = torch.ones(4, 11, dtype: ScalarType.Float64);

        var act = () => VimDetector.Fit(x, w);

        act.Should().Throw<ArgumentException>().WithParameterName("weight").WithMessage("*(C, 12)*(4, 11)*");
    }

    [Fact]
    public void Fit_BiasLengthMismatch_Throws()
    {
        using var x = Golden.MatrixTensor(Reference.GetProperty("features"));
        using var w = Golden.MatrixTensor(Reference.GetProperty("weight"));
        using var b = torch.ones(3, dtype: ScalarType.Float64);

        var act = () => VimDetector.Fit(x, w, b);

        act.Should().Throw<ArgumentException>().WithParameterName("bias");
    }

    [Fact]
    public void Score_NaN_Throws()
    {
        using var detector = FitGolden();
        using var q = torch.ones(2, 12);
        q[1, 3] = torch.tensor(float.NaN);

        var act = () => detector.Score(q);

        act.Should().Throw<ArgumentException>().WithMessage("*NaN*row 1*");
    }

    [Fact]
    public void Score_Infinite_Throws()
    {
        using var detector = FitGolden();
        using var q = torch.ones(2, 12);
        q[0, 3] = torch.tensor(float.PositiveInfinity);

        var act = () => detector.Score(q);

        act.Should().Throw<ArgumentException>().WithMessage("*infinite*");
    }

    [Fact]
    public void Score_EmptyOrWrongDimension_Throws()
    {
        using var detector = FitGolden();
        using var empty = torch.ones(0, 12);
        using var wrong = torch.ones(2, 10);

        FluentActions.Invoking(() => detector.Score(empty)).Should().Throw<ArgumentException>().WithMessage("*empty*");
        FluentActions.Invoking(() => detector.Score(wrong)).Should().Throw<ArgumentException>().WithMessage("*dimension 12*(2, 10)*");
    }

    [Fact]
    public void SaveLoad_RoundTrip_GivesIdenticalScores_AndCorruptionIsRefused()
    {
        using var detector = FitGolden();
        using var q = Golden.MatrixTensor(Reference.GetProperty("queries"));

        SavedFiles.ShouldRoundTripScores_AndRefuseCorruptions(detector, detector.Save, VimDetector.Load, (d, x) => d.Score(x), q, "VimDetector");
    }

    [Fact]
    public void ItsTensors_AreCopies_AndDisposeMakesEveryMemberThrow()
    {
        using var q = Golden.MatrixTensor(Reference.GetProperty("queries"));
        var detector = FitGolden();
        Ownership.ShouldHandOutCopies_AndRefuseUseAfterDispose(
            detector, () => detector.Score(q), () => detector.Weight, () => detector.Bias, () => detector.Origin, () => detector.ResidualBasis);
    }

    [Fact]
    public void FitAndScore_LeakNoTensors()
    {
        using var q = Golden.MatrixTensor(Reference.GetProperty("queries"));
        var before = LiveTensors.Count;
        using (var detector = FitGolden())
        {
            detector.Score(q).Dispose();
            detector.VirtualLogits(q).Dispose();
        }

        LiveTensors.Count.Should().Be(before);
    }

    private static VimDetector FitGolden()
    {
        using var x = Golden.MatrixTensor(Reference.GetProperty("features"));
        using var w = Golden.MatrixTensor(Reference.GetProperty("weight"));
        using var b = Golden.VectorTensor(Reference.GetProperty("bias"));
        return VimDetector.Fit(x, w, b, new VimOptions { PrincipalDimension = Reference.GetProperty("dimension").GetInt32() });
    }
}
