using System;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Samples.BiradsShape.Data;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Tests.Data;

public sealed class SliceSamplerTests
{
    [Fact]
    public void Sample_Volumes_NormalisedSlicesWithTumourAndOneMipPerPatient()
    {
        using var v = TumourGenerator.Generate(5, 24, ScannerProfile.Internal, seed: 1);
        using var s = SliceSampler.Sample(v, rotationsPerPatient: 3, slicesPerRotation: 2, seed: 2, minimumArea: 10);
        s.Images.shape.Should().Equal(s.Count, 1, 24, 24);
        s.Masks.shape.Should().Equal(s.Count, 24, 24);
        s.Count.Should().BeInRange(5, 5 * ((3 * 2) + 1));
        s.IsMip.Count(m => m).Should().Be(5);
        s.Patients.Should().BeInAscendingOrder().And.OnlyContain(p => p >= 0 && p < 5);
        s.Shapes.Should().Equal(s.Patients.Select(p => v.Shapes[p]));
        using var mean = s.Images.mean(new long[] { 1, 2, 3 });
        using var std = s.Images.std(new long[] { 1, 2, 3 });
        mean.abs().max().ToDouble().Should().BeLessThan(1e-4);
        std.sub(1).abs().max().ToDouble().Should().BeLessThan(1e-3);
        using var area = s.Masks.sum(new long[] { 1, 2 });
        area.min().ToDouble().Should().BeGreaterThanOrEqualTo(10);
    }

    [Fact]
    public void Sample_SameSeed_SameSlices()
    {
        using var v = TumourGenerator.Generate(3, 24, ScannerProfile.Internal, seed: 1);
        using var a = SliceSampler.Sample(v, 2, 2, seed: 3);
        using var b = SliceSampler.Sample(v, 2, 2, seed: 3);
        a.Images.allclose(b.Images, rtol: 0, atol: 0).Should().BeTrue();
        a.Patients.Should().Equal(b.Patients);
    }

    [Fact]
    public void Sample_WithoutMip_NoMip()
    {
        using var v = TumourGenerator.Generate(2, 24, ScannerProfile.Internal, seed: 1);
        using var s = SliceSampler.Sample(v, 2, 1, seed: 3, includeMip: false);
        s.IsMip.Should().OnlyContain(m => !m);
    }

    [Fact]
    public void Select_Indices_SubsetInOrder()
    {
        using var v = TumourGenerator.Generate(3, 24, ScannerProfile.Internal, seed: 1);
        using var s = SliceSampler.Sample(v, 2, 2, seed: 3);
        using var subset = s.Select(new[] { 2, 0 });
        subset.Count.Should().Be(2);
        subset.Images[0].allclose(s.Images[2], rtol: 0, atol: 0).Should().BeTrue();
        subset.Patients.Should().Equal(s.Patients[2], s.Patients[0]);
        var act = () => s.Select(new[] { s.Count });
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("indices");
    }

    [Fact]
    public void Sample_BadArguments_Throw()
    {
        using var v = TumourGenerator.Generate(1, 24, ScannerProfile.Internal, seed: 1);
        var rotations = () => SliceSampler.Sample(v, 0, 1, 0);
        rotations.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("rotationsPerPatient");
        var planes = () => SliceSampler.Sample(v, 1, 0, 0);
        planes.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("slicesPerRotation");
        var area = () => SliceSampler.Sample(v, 1, 1, 0, minimumArea: 0);
        area.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("minimumArea");
        var none = () => SliceSampler.Sample(v, 1, 1, 0, minimumArea: 24 * 24);
        none.Should().Throw<InvalidOperationException>().WithMessage("*No slice*");
    }
}
