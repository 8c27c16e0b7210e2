using System;
using System.Collections.Generic;
using FluentAssertions;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Interop;
using Uqlib.Latent;
using Uqlib.Tests.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Interop;

public sealed class NpzExportTests
{
    [Fact]
    public void Write_Mahalanobis_ExportsScikitLearnsMeansCovarianceAndItsInverse()
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        using var y = LatentCases.Labels(golden);
        using var detector = MahalanobisDetector.Fit(x, y, LatentCases.Classes(golden), CovarianceMethod.LedoitWolf);
        using var file = NpyCases.Temporary(".npz");

        NpzExport.Write(file.Path, detector);
        var arrays = Npz.ReadAll(file.Path);
        try
        {
            arrays.Keys.Should().Equal("class_means", "covariance", "precision", "shrinkage", "class_agnostic");
            using var expectedCovariance = Golden.MatrixTensor(golden.GetProperty("ledoitWolf").GetProperty("withinCovariance"));
            Close(arrays["class_means"], Golden.ToArray(Golden.MatrixTensor(golden.GetProperty("means")).flatten()), 1e-10);
            Close(arrays["covariance"], Golden.ToArray(expectedCovariance.flatten()), 1e-10);
            using var product = arrays["precision"].matmul(expectedCovariance);
            using var identity = torch.eye(expectedCovariance.shape[0], dtype: ScalarType.Float64);
            Close(product, Golden.ToArray(identity.flatten()), 1e-8);
            arrays["shrinkage"].item<double>().Should().BeApproximately(golden.GetProperty("withinShrinkage").GetDouble(), 1e-10);
            arrays["class_agnostic"].item<bool>().Should().BeFalse();
        }
        finally
        {
            Dispose(arrays);
        }
    }

    [Fact]
    public void Write_RelativeMahalanobis_ExportsBothGaussians()
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        using var y = LatentCases.Labels(golden);
        using var detector = RelativeMahalanobisDetector.Fit(x, y, LatentCases.Classes(golden), CovarianceMethod.LedoitWolf);
        using var file = NpyCases.Temporary(".npz");

        NpzExport.Write(file.Path, detector);
        var arrays = Npz.ReadAll(file.Path);
        try
        {
            arrays.Keys.Should().Equal(
                "class_means", "covariance", "precision", "shrinkage",
                "background_mean", "background_covariance", "background_precision", "background_shrinkage");
            Close(arrays["background_mean"], Golden.Vector(golden.GetProperty("globalMean")), 1e-10);
            Close(arrays["background_covariance"],
                Golden.ToArray(Golden.MatrixTensor(golden.GetProperty("ledoitWolf").GetProperty("totalCovariance")).flatten()), 1e-10);
            arrays["background_shrinkage"].item<double>().Should().BeApproximately(golden.GetProperty("totalShrinkage").GetDouble(), 1e-10);
        }
        finally
        {
            Dispose(arrays);
        }
    }

    [Fact]
    public void Write_Knn_ExportsTheNormalisedBankAndK()
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        using var detector = KnnDetector.Fit(x, KnnOptions.Default with { K = 5 });
        using var file = NpyCases.Temporary(".npz");
        var before = LiveTensors.Count;

        NpzExport.Write(file.Path, detector);

        LiveTensors.Count.Should().Be(before);
        using var bank = Npz.Read(file.Path, "bank");
        using var k = Npz.Read(file.Path, "k");
        using var expected = x.div(x.norm(1, keepdim: true));
        bank.dtype.Should().Be(ScalarType.Float64);
        Close(bank, Golden.ToArray(expected.flatten()), 1e-15);
        k.item<long>().Should().Be(5);
        Golden.ToArray(detector.Bank.flatten()).Should().Equal(Golden.ToArray(bank.flatten()));
    }

    [Fact]
    public void Write_Calibrators_ExportTheirParameters()
    {
        using var file = NpyCases.Temporary(".npz");
        var temperature = TemperatureScaling.WithTemperature(1.75, 4);

        NpzExport.Write(file.Path, temperature);

        using (var t = Npz.Read(file.Path, "temperature"))
        {
            t.dtype.Should().Be(ScalarType.Float64);
            t.item<double>().Should().Be(1.75);
        }

        using var logits = torch.tensor(new[] { 2.0, -1.0, 0.5, 3.0, -2.0, 0.0, 1.0, -0.5 }).reshape(8, 1);
        using var labels = torch.tensor(new long[] { 1, 0, 1, 1, 0, 0, 1, 0 });
        var platt = PlattScaling.Fit(logits, labels);
        NpzExport.Write(file.Path, platt);
        using var slope = Npz.Read(file.Path, "slope");
        using var intercept = Npz.Read(file.Path, "intercept");
        slope.item<double>().Should().Be(platt.Slope);
        intercept.item<double>().Should().Be(platt.Intercept);
    }

    [Fact]
    public void Write_NullArguments_Throw()
    {
        FluentActions.Invoking(() => NpzExport.Write("a.npz", (KnnDetector)null!)).Should().Throw<ArgumentNullException>().WithParameterName("detector");
        FluentActions.Invoking(() => NpzExport.Write(" ", TemperatureScaling.WithTemperature(1.0, 2)))
            .Should().Throw<ArgumentException>().WithParameterName("path");
    }

    private static void Close(Tensor actual, double[] expected, double tolerance)
    {
        Golden.ToArray(actual.flatten()).Should().Equal(expected, (a, b) => LatentCases.CloseRelative(a, b, tolerance));
    }

    private static void Dispose(IReadOnlyDictionary<string, Tensor> arrays)
    {
        foreach (var array in arrays.Values)
        {
            array.Dispose();
        }
    }
}
