using FluentAssertions;
using TorchSharp;
using Uqlib.Cli.Tests.TestSupport;
using Uqlib.Interop;
using Uqlib.Latent;
using Xunit;

namespace Uqlib.Cli.Tests.Commands;

public sealed class OodCommandTests
{
    [Fact]
    public void FitThenScore_Mahalanobis_EqualsTheLibrary()
    {
        using var folder = new TempFolder();
        var fit = CliRun.Of("ood", "fit", "--detector", "mahalanobis", "--features", CliRun.Fixture("train_features.npy"),
            "--labels", CliRun.Fixture("train_labels.npy"), "--output", folder.File("m.uqlib"));
        var score = CliRun.Of("ood", "score", "--detector", folder.File("m.uqlib"), "--features", CliRun.Fixture("ood_features.npy"),
            "--output", folder.File("s.npy"));

        fit.ExitCode.Should().Be(ExitCodes.Success, fit.Error);
        score.ExitCode.Should().Be(ExitCodes.Success, score.Error);
        using var scope = torch.NewDisposeScope();
        using var detector = MahalanobisDetector.Fit(CliRun.Load("train_features.npy"), CliRun.Load("train_labels.npy"), 3);
        var expected = detector.Score(CliRun.Load("ood_features.npy")).to(torch.ScalarType.Float64);
        var written = Npy.Read(folder.File("s.npy"));
        written.dtype.Should().Be(torch.ScalarType.Float64);
        CliRun.Identical(written, expected).Should().BeTrue();
    }

    [Fact]
    public void FitThenScore_Knn_EqualsTheLibrary()
    {
        using var folder = new TempFolder();
        CliRun.Of("ood", "fit", "-d", "knn", "--k", "7", "--features", CliRun.Fixture("train_features.npy"), "-o", folder.File("k.uqlib"))
            .ExitCode.Should().Be(ExitCodes.Success);
        CliRun.Of("ood", "score", "--detector", folder.File("k.uqlib"), "--features", CliRun.Fixture("test_features.npy"), "-o", folder.File("s.npy"))
            .ExitCode.Should().Be(ExitCodes.Success);

        using var scope = torch.NewDisposeScope();
        using var detector = KnnDetector.Fit(CliRun.Load("train_features.npy"), new KnnOptions { K = 7 });
        CliRun.Identical(Npy.Read(folder.File("s.npy")), detector.Score(CliRun.Load("test_features.npy")).to(torch.ScalarType.Float64)).Should().BeTrue();
    }

    [Fact]
    public void Fit_MahalanobisWithoutLabels_SaysSo()
    {
        using var folder = new TempFolder();
        var run = CliRun.Of("ood", "fit", "-d", "mahalanobis", "--features", CliRun.Fixture("train_features.npy"), "-o", folder.File("m.uqlib"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().Equal("uqlib: error: --labels: mahalanobis needs the training labels");
    }

    [Fact]
    public void Score_WrongDimension_NamesBoth()
    {
        using var folder = new TempFolder();
        CliRun.Of("ood", "fit", "-d", "knn", "--features", CliRun.Fixture("train_features.npy"), "-o", folder.File("k.uqlib")).ExitCode.Should().Be(0);

        var run = CliRun.Of("ood", "score", "--detector", folder.File("k.uqlib"), "--features", CliRun.Fixture("test_logits.npy"), "-o", folder.File("s.npy"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().Equal("uqlib: error: --features: has 3 feature dimensions but the detector was fitted on 8");
    }
}
