using FluentAssertions;
using TorchSharp;
using Uqlib.Ensembles;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Ensembles;

public sealed class DropoutMasksTests
{
    [Fact]
    public void Apply_Dropout_ZeroesOrScalesEachElement_AndTheSeedFixesTheMask()
    {
        using var layer = nn.Dropout(0.25);
        using var ones = torch.ones(50, 40, dtype: ScalarType.Float64);
        using var first = new DropoutMasks(7);
        using var second = new DropoutMasks(7);
        using var a = first.Apply(layer, ones)!;
        using var b = second.Apply(layer, ones)!;

        Golden.ToArray(a).Should().AllSatisfy(v => v.Should().BeOneOf(0.0, 1.0 / 0.75));
        a.allclose(b, rtol: 0, atol: 0).Should().BeTrue();
        var kept = a.ne(0).sum().ToInt64();
        kept.Should().BeInRange(1420, 1580, "Binomial(2000, 0.75) lies within 1500 ± 4σ (σ ≈ 19.4)");
    }

    [Fact]
    public void Apply_Dropout2d_DropsWholeChannels()
    {
        using var layer = nn.Dropout2d(0.5);
        using var ones = torch.ones(new long[] { 8, 6, 5, 5 }, ScalarType.Float64);
        using var masks = new DropoutMasks(1);
        using var dropped = masks.Apply(layer, ones)!;
        using var perChannel = dropped.flatten(2).ne(0).sum(2);

        Golden.ToArray(perChannel).Should().AllSatisfy(n => n.Should().BeOneOf(0.0, 25.0));
        perChannel.eq(0).any().ToBoolean().Should().BeTrue();
        perChannel.eq(25).any().ToBoolean().Should().BeTrue();
    }

    [Fact]
    public void Apply_AlphaDropout_KeepsZeroMeanAndUnitVariance()
    {
        using var layer = nn.AlphaDropout(0.2);
        using var generator = new torch.Generator(3);
        using var x = torch.randn(new long[] { 400_000 }, ScalarType.Float64, generator: generator);
        using var masks = new DropoutMasks(4);
        using var y = masks.Apply(layer, x)!;

        y.mean().ToDouble().Should().BeApproximately(0.0, 0.01, "4σ of the mean of 4e5 unit-variance values is 0.0063");
        y.var().ToDouble().Should().BeApproximately(1.0, 0.02);
    }

    [Fact]
    public void Apply_ZeroOrFullProbability_KeepsOrZeroes()
    {
        using var none = nn.Dropout(0.0);
        using var all = nn.Dropout(1.0);
        using var x = torch.ones(3, 4);
        using var masks = new DropoutMasks(0);
        using var zeroed = masks.Apply(all, x)!;

        masks.Apply(none, x).Should().BeNull();
        zeroed.abs().sum().ToDouble().Should().Be(0);
    }
}
