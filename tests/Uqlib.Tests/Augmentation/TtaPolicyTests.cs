using System;
using FluentAssertions;
using Uqlib.Augmentation;
using Xunit;

namespace Uqlib.Tests.Augmentation;

public sealed class TtaPolicyTests
{
    [Fact]
    public void Of_KeepsOrderAndRepeats()
    {
        var flip = Augmentations.Flip();
        var policy = TtaPolicy.Of(Augmentations.Identity, flip, flip, Augmentations.Gamma(0.8));
        policy.Count.Should().Be(4);
        policy.Augmentations[1].Should().BeSameAs(flip);
        policy.Augmentations[2].Should().BeSameAs(flip);
        policy.IsGeometric.Should().BeTrue();
        TtaPolicy.Of(Augmentations.Gamma(0.8)).IsGeometric.Should().BeFalse();
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(3, 4)]
    public void Flips_HasIdentityAndOneFlipPerAxis(int spatial, int count)
    {
        var policy = TtaPolicy.Flips(spatial);
        policy.Count.Should().Be(count);
        policy.Augmentations[0].Should().BeSameAs(Augmentations.Identity);
        ((Action)(() => TtaPolicy.Flips(4))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("spatialDimensions");
    }

    [Fact]
    public void Constructor_NoAugmentation_Throws()
    {
        ((Action)(() => TtaPolicy.Of())).Should().Throw<ArgumentException>().WithParameterName("augmentations").WithMessage("*at least one augmentation*");
        ((Action)(() => TtaPolicy.Of(Augmentations.Identity, null!))).Should().Throw<ArgumentNullException>().WithMessage("*augmentations[1]*");
        ((Action)(() => new TtaPolicy(null!))).Should().Throw<ArgumentNullException>();
    }
}
