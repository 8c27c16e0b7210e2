using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Samples.BiradsShape.Labelling;
using Uqlib.Samples.BiradsShape.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Tests.Labelling;

public sealed class EllipseDiceTests
{
    [Theory]
    [InlineData(32, 15.5, 15.5, 10, 10, 0)]
    [InlineData(48, 20, 26, 16, 7, 0.6)]
    [InlineData(48, 24, 22, 14, 9, -1.1)]
    [InlineData(64, 30, 33, 25, 12, 2.0)]
    public void Compute_Ellipse_DiceNearOne(int size, double cx, double cy, double a, double b, double angle)
    {
        using var mask = Shapes.Ellipse(size, cx, cy, a, b, angle);
        using var dice = EllipseDice.Compute(mask);
        dice[0].ToDouble().Should().BeGreaterThan(0.95);
    }

    [Fact]
    public void Compute_ReferenceMasks_MatchNumpyEigenPca()
    {
        // Reference/ellipse_dice.py: PCA by numpy.cov + numpy.linalg.eigh, the same ellipse convention, Dice.
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reference", "ellipse_dice.json")));
        var size = json.RootElement.GetProperty("size").GetInt32();
        var cases = json.RootElement.GetProperty("cases").EnumerateArray().ToArray();
        var values = new float[cases.Length * size * size];
        var offset = 0;
        foreach (var row in cases.SelectMany(c => c.GetProperty("mask").EnumerateArray()))
        {
            foreach (var pixel in row.EnumerateArray())
            {
                values[offset++] = pixel.GetInt32();
            }
        }

        using var masks = tensor(values).reshape(cases.Length, size, size);
        using var dice = EllipseDice.Compute(masks);
        for (var i = 0; i < cases.Length; i++)
        {
            dice[i].ToDouble().Should().BeApproximately(cases[i].GetProperty("dice").GetDouble(), 1e-12, cases[i].GetProperty("name").GetString());
        }
    }

    [Fact]
    public void Compute_LargeEllipse_DiceWithinOnePercentOfOne()
    {
        using var mask = Shapes.Ellipse(128, 60, 66, 50, 22, 0.3);
        using var dice = EllipseDice.Compute(mask);
        dice[0].ToDouble().Should().BeApproximately(1.0, 0.01);
    }

    [Theory]
    [InlineData(5, 6, 22)]
    [InlineData(8, 8, 22)]
    [InlineData(12, 5, 20)]
    public void Compute_Star_DiceLow(int points, double inner, double outer)
    {
        using var mask = Shapes.Star(48, points, inner, outer);
        using var dice = EllipseDice.Compute(mask);
        dice[0].ToDouble().Should().BeLessThan(0.8);
    }

    [Fact]
    public void Compute_Square_DiceBetweenStarAndEllipse()
    {
        using var mask = zeros(1, 32, 32);
        mask[0, 8..24, 8..24] = tensor(1f);
        using var dice = EllipseDice.Compute(mask);
        dice[0].ToDouble().Should().BeInRange(0.85, 0.95);
    }

    [Fact]
    public void Compute_Batch_EqualsEachMaskAlone()
    {
        using var ellipse = Shapes.Ellipse(48, 20, 26, 16, 7, 0.6);
        using var star = Shapes.Star(48, 6, 6, 22);
        using var batch = cat(new[] { ellipse, star });
        using var together = EllipseDice.Compute(batch);
        using var first = EllipseDice.Compute(ellipse);
        using var second = EllipseDice.Compute(star);
        together[0].ToDouble().Should().Be(first[0].ToDouble());
        together[1].ToDouble().Should().Be(second[0].ToDouble());
    }

    [Fact]
    public void Compute_Translated_SameDice()
    {
        using var mask = Shapes.Star(48, 7, 6, 18);
        using var shifted = mask.roll(new long[] { 3, -2 }, new long[] { 1, 2 });
        using var a = EllipseDice.Compute(mask);
        using var b = EllipseDice.Compute(shifted);
        b[0].ToDouble().Should().BeApproximately(a[0].ToDouble(), 1e-12);
    }

    [Fact]
    public void Compute_SinglePixel_DiceInRange()
    {
        using var mask = zeros(1, 8, 8);
        mask[0, 3, 4] = tensor(1f);
        using var dice = EllipseDice.Compute(mask);
        dice[0].ToDouble().Should().BeInRange(0, 1);
    }

    [Fact]
    public void Compute_DoesNotDisposeInput()
    {
        using var mask = Shapes.Ellipse(16, 8, 8, 5, 3, 0);
        using (EllipseDice.Compute(mask))
        {
        }

        mask.IsInvalid.Should().BeFalse();
    }

    [Fact]
    public void Compute_EmptyMask_ThrowsNamingIndex()
    {
        using var ellipse = Shapes.Ellipse(16, 8, 8, 5, 3, 0);
        using var empty = zeros(1, 16, 16);
        using var batch = cat(new[] { ellipse, empty });
        var act = () => EllipseDice.Compute(batch);
        act.Should().Throw<ArgumentException>().WithParameterName("masks").WithMessage("*1 empty*index 1*");
    }

    [Fact]
    public void Compute_NaN_Throws()
    {
        using var mask = Shapes.Ellipse(16, 8, 8, 5, 3, 0);
        mask[0, 2, 2] = tensor(float.NaN);
        var act = () => EllipseDice.Compute(mask);
        act.Should().Throw<ArgumentException>().WithParameterName("masks").WithMessage("*NaN*");
    }

    [Fact]
    public void Compute_Infinity_CountsAsForeground()
    {
        using var mask = Shapes.Ellipse(16, 8, 8, 5, 3, 0);
        using var reference = EllipseDice.Compute(mask);
        mask[0, 8, 8] = tensor(float.PositiveInfinity);
        using var dice = EllipseDice.Compute(mask);
        dice[0].ToDouble().Should().Be(reference[0].ToDouble());
    }

    [Fact]
    public void Compute_WrongRank_Throws()
    {
        using var mask = zeros(16, 16);
        var act = () => EllipseDice.Compute(mask);
        act.Should().Throw<ArgumentException>().WithParameterName("masks").WithMessage("*(N, H, W)*rank 2*");
    }

    [Fact]
    public void Compute_Empty_Throws()
    {
        using var mask = zeros(0, 16, 16);
        var act = () => EllipseDice.Compute(mask);
        act.Should().Throw<ArgumentException>().WithParameterName("masks").WithMessage("*empty*");
    }

    [Fact]
    public void Compute_Null_Throws()
    {
        var act = () => EllipseDice.Compute(null!);
        act.Should().Throw<ArgumentNullException>().WithParameterName("masks");
    }
}
