using System;
using System.IO;
using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

public sealed class NnGuideDetectorTests
{
    [Fact]
    public void DocsExample_RunsAsWritten()
    {
        // docs/latent-ood.md, "NNGuide": keep the two in step.
        using var generator = new Generator(5);
        using var trainFeatures = torch.randn(new long[] { 20_000, 8 }, generator: generator).relu_();
        using var testFeatures = torch.randn(new long[] { 6, 8 }, generator: generator);
        using var weight = torch.randn(new long[] { 4, 8 }, generator: generator);
        using var bias = torch.zeros(4);
        var path = Path.GetTempFileName();
        try
        {
            using var fdbd = FdbdDetector.Fit(trainFeatures, weight, bias);
            using var nnguide = NnGuideDetector.Fit(trainFeatures, weight, bias, new NnGuideOptions { K = 100, BankSize = 10_000 });
            using var fdbdScores = fdbd.Score(testFeatures);          // (N) float64, higher = more OOD
            using var nnguideScores = nnguide.Score(testFeatures);
            fdbd.Save(path);                                          // FdbdDetector.Load(path) gives identical scores

            fdbdScores.shape.Should().Equal(6);
            nnguideScores.shape.Should().Equal(6);
            nnguide.BankSize.Should().Be(10_000);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static readonly System.Text.Json.JsonElement Reference = Golden.Load("fdbd_nnguide.json");

    [Fact]
    public void Score_MatchesPaperFormula()
    {
        using var detector = FitGolden();
        using var q = Golden.MatrixTensor(Reference.GetProperty("queries"));
        using var guidance = detector.Guidance(q);
        using var scores = detector.Score(q);

        // The similarities are float32, as in the authors' faiss inner-product index; the rest is float64.
        scores.dtype.Should().Be(ScalarType.Float64);
        Golden.ToArray(guidance).Should().Equal(Golden.Vector(Reference.GetProperty("nnguideGuidance")), (a, b) => LatentCases.CloseRelative(a, b, 1e-6));
        Golden.ToArray(scores).Should().Equal(Golden.Vector(Reference.GetProperty("nnguideScores")), (a, b) => LatentCases.CloseRelative(a, b, 1e-6));
    }

    [Fact]
    public void Score_SmallChunks_MatchOneChunk()
    {
        using var x = Golden.MatrixTensor(Reference.GetProperty("features"));
        using var w = Golden.MatrixTensor(Reference.GetProperty("weight"));
        using var q = Golden.MatrixTensor(Reference.GetProperty("queries"));
        using var whole = NnGuideDetector.Fit(x, w, null, new NnGuideOptions { K = 10 });
        using var chunked = NnGuideDetector.Fit(x, w, null, new NnGuideOptions { K = 10, ChunkElements = 7 });
        using var expected = whole.Score(q);
        using var actual = chunked.Score(q);

        actual.allclose(expected, rtol: 1e-6, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Fit_DefaultK_IsThePapers()
    {
        NnGuideOptions.Default.K.Should().Be(100);
        using var x = Golden.MatrixTensor(Reference.GetProperty("features"));
        using var w = Golden.MatrixTensor(Reference.GetProperty("weight"));
        using var detector = NnGuideDetector.Fit(x, w);

        detector.K.Should().Be(100);
        detector.BankSize.Should().Be(300);
    }

    [Fact]
    public void Fit_BankSize_KeepsASeededSubsampleOfScaledRows()
    {
        using var x = Golden.MatrixTensor(Reference.GetProperty("features"));
        using var w = Golden.MatrixTensor(Reference.GetProperty("weight"));
        var options = new NnGuideOptions { K = 5, BankSize = 40, Seed = 3 };
        using var first = NnGuideDetector.Fit(x, w, null, options);
        using var second = NnGuideDetector.Fit(x, w, null, options);
        using var other = NnGuideDetector.Fit(x, w, null, options with { Seed = 4 });
        using var bank = first.Bank;
        using var again = second.Bank;
        using var different = other.Bank;

        bank.shape.Should().Equal(40, 16);
        bank.allclose(again, rtol: 0, atol: 0).Should().BeTrue();
        bank.allclose(different, rtol: 0, atol: 0).Should().BeFalse();

        // Each bank row is a unit vector times that training feature's logsumexp confidence.
        using var logits = x.matmul(w.t());
        using var confidence = logits.logsumexp(1);
        using var norms = bank.to(ScalarType.Float64).norm(1);
        using var matched = norms.unsqueeze(1).sub(confidence.unsqueeze(0)).abs().lt(1e-4).any(1);
        matched.all().ToBoolean().Should().BeTrue();
    }

    [Fact]
    public void Fit_FewerFeaturesThanK_Throws()
    {
        using var generator = new Generator(1);
        using var x = torch.randn(new long[] { 5, 4 }, generator: generator);
        using var generator2 = new Generator(2);
        using var w = torch.randn(new long[] { 3, 4 }, generator: generator2);

        var act = () => NnGuideDetector.Fit(x, w, null, new NnGuideOptions { K = 6 });

        act.Should().Throw<ArgumentException>().WithParameterName("features").WithMessage("*K = 6*at least 6*found 5*");
    }

    [Fact]
    public void Validate_ReportsEveryProblem()
    {
        var act = () => new NnGuideOptions { K = 0, ChunkElements = 0 }.Validate();

        act.Should().Throw<ArgumentException>().WithParameterName("options").WithMessage("*K must be*ChunkElements must be*");
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

        SavedFiles.ShouldRoundTripScores_AndRefuseCorruptions(detector, detector.Save, NnGuideDetector.Load, (d, x) => d.Score(x), q, "NnGuideDetector");
    }

    [Fact]
    public void ToString_NamesKBankAndShape()
    {
        using var detector = FitGolden();

        detector.ToString().Should().Be("NnGuideDetector(k=10, bank=300, C=5, F=16)");
    }

    [Fact]
    public void ItsTensors_AreCopies_AndDisposeMakesEveryMemberThrow()
    {
        using var q = Golden.MatrixTensor(Reference.GetProperty("queries"));
        var detector = FitGolden();
        Ownership.ShouldHandOutCopies_AndRefuseUseAfterDispose(
            detector, () => detector.Score(q), () => detector.Bank, () => detector.Weight, () => detector.Bias);
    }

    [Fact]
    public void FitAndScore_LeakNoTensors()
    {
        using var q = Golden.MatrixTensor(Reference.GetProperty("queries"));
        var before = LiveTensors.Count;
        using (var detector = FitGolden())
        {
            detector.Score(q).Dispose();
            detector.Guidance(q).Dispose();
        }

        LiveTensors.Count.Should().Be(before);
    }

    private static NnGuideDetector FitGolden()
    {
        using var x = Golden.MatrixTensor(Reference.GetProperty("features"));
        using var w = Golden.MatrixTensor(Reference.GetProperty("weight"));
        using var b = Golden.VectorTensor(Reference.GetProperty("bias"));
        return NnGuideDetector.Fit(x, w, b, new NnGuideOptions { K = Reference.GetProperty("k").GetInt32() });
    }
}
