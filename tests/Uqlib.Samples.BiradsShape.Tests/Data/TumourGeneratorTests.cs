using System;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Samples.BiradsShape.Data;
using Uqlib.Samples.BiradsShape.Labelling;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Tests.Data;

public sealed class TumourGeneratorTests
{
    [Fact]
    public void Generate_SameSeed_IdenticalVolumes()
    {
        using var a = TumourGenerator.Generate(4, 24, ScannerProfile.Internal, seed: 5);
        using var b = TumourGenerator.Generate(4, 24, ScannerProfile.Internal, seed: 5);
        a.Images.allclose(b.Images, rtol: 0, atol: 0).Should().BeTrue();
        a.Masks.allclose(b.Masks, rtol: 0, atol: 0).Should().BeTrue();
        a.Shapes.Should().Equal(b.Shapes);
    }

    [Fact]
    public void Generate_OtherSeed_OtherVolumes()
    {
        using var a = TumourGenerator.Generate(4, 24, ScannerProfile.Internal, seed: 5);
        using var b = TumourGenerator.Generate(4, 24, ScannerProfile.Internal, seed: 6);
        a.Images.allclose(b.Images, rtol: 0, atol: 0).Should().BeFalse();
    }

    [Fact]
    public void Generate_Volumes_ShapesCountsAndRanges()
    {
        using var v = TumourGenerator.Generate(10, 24, ScannerProfile.External, seed: 1, irregularFraction: 0.8);
        v.Images.shape.Should().Equal(10, 24, 24, 24);
        v.Masks.shape.Should().Equal(10, 24, 24, 24);
        v.Shapes.Count(s => s == TumourShape.Irregular).Should().Be(8);
        v.Images.isfinite().all().ToBoolean().Should().BeTrue();
        v.Images.min().ToDouble().Should().BeGreaterThanOrEqualTo(0);
        using var binary = v.Masks.eq(0).logical_or(v.Masks.eq(1));
        binary.all().ToBoolean().Should().BeTrue();
        using var perPatient = v.Masks.sum(new long[] { 1, 2, 3 });
        perPatient.min().ToDouble().Should().BeGreaterThan(100);
    }

    [Fact]
    public void Generate_Tumour_BrighterThanParenchyma()
    {
        using var v = TumourGenerator.Generate(3, 24, ScannerProfile.Internal, seed: 2);
        using var inside = v.Images.masked_select(v.Masks.gt(0.5)).mean();
        using var outside = v.Images.masked_select(v.Masks.lt(0.5)).mean();
        (inside.ToDouble() / outside.ToDouble()).Should().BeInRange(1.5, 2.5);
    }

    [Fact]
    public void Generate_RoundTumours_SliceDiceHigherThanIrregular()
    {
        using var v = TumourGenerator.Generate(20, 32, ScannerProfile.Internal, seed: 3);
        using var slices = SliceSampler.Sample(v, 4, 3, seed: 4);
        using var dice = EllipseDice.Compute(slices.Masks);
        var values = dice.data<double>().ToArray();
        var round = values.Where((_, i) => slices.Shapes[i] == TumourShape.Round).ToArray();
        var irregular = values.Where((_, i) => slices.Shapes[i] == TumourShape.Irregular).ToArray();
        round.Average().Should().BeGreaterThan(0.93);
        irregular.Average().Should().BeLessThan(round.Average() - 0.08);
        irregular.Count(d => d < 0.8).Should().BeGreaterThan(irregular.Length / 10);
    }

    [Fact]
    public void RandomRotation_IsOrthonormalWithDeterminantOne()
    {
        var random = new Random(11);
        for (var trial = 0; trial < 50; trial++)
        {
            var r = TumourGenerator.RandomRotation(random);
            for (var i = 0; i < 3; i++)
            {
                for (var j = 0; j < 3; j++)
                {
                    var dot = (r[0, i] * r[0, j]) + (r[1, i] * r[1, j]) + (r[2, i] * r[2, j]);
                    dot.Should().BeApproximately(i == j ? 1 : 0, 1e-12);
                }
            }

            var det = (r[0, 0] * ((r[1, 1] * r[2, 2]) - (r[1, 2] * r[2, 1])))
                - (r[0, 1] * ((r[1, 0] * r[2, 2]) - (r[1, 2] * r[2, 0])))
                + (r[0, 2] * ((r[1, 0] * r[2, 1]) - (r[1, 1] * r[2, 0])));
            det.Should().BeApproximately(1, 1e-12);
        }
    }

    [Fact]
    public void Generate_BadArguments_Throw()
    {
        var patients = () => TumourGenerator.Generate(0, 24, ScannerProfile.Internal, 0);
        patients.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("patients");
        var size = () => TumourGenerator.Generate(1, 8, ScannerProfile.Internal, 0);
        size.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("volumeSize");
        var fraction = () => TumourGenerator.Generate(1, 24, ScannerProfile.Internal, 0, double.NaN);
        fraction.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("irregularFraction");
        var profile = () => TumourGenerator.Generate(1, 24, ScannerProfile.Internal with { NoiseLevel = -1, ResolutionFactor = 9 }, 0);
        profile.Should().Throw<ArgumentException>().WithMessage("*NoiseLevel*ResolutionFactor*");
    }
}
