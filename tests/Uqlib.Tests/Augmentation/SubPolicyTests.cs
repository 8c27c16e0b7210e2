using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Augmentation;
using Xunit;

namespace Uqlib.Tests.Augmentation;

public sealed class SubPolicyTests
{
    [Fact]
    public void Augmentation_ComposesTheOperationsInOrder()
    {
        var subPolicy = SubPolicy.Of(new PolicyOperation(AugmentationOperation.Flip, 1), new PolicyOperation(AugmentationOperation.GaussianNoise, 0.5, 3));
        var expected = Augmentations.Compose(Augmentations.Flip(-1), Augmentations.GaussianNoise(0.05, 3));
        using var x = torch.rand(2, 1, 8, 8, generator: torch.manual_seed(4));
        using var got = subPolicy.Augmentation.Apply(x);
        using var want = expected.Apply(x);
        got.allclose(want, rtol: 0, atol: 0).Should().BeTrue();
        subPolicy.ToString().Should().Be(expected.Name);
        subPolicy.IsIdentity.Should().BeFalse();
        SubPolicy.Identity.Augmentation.Should().BeSameAs(Augmentations.Identity);
        SubPolicy.Of(new PolicyOperation(AugmentationOperation.Identity, 0)).IsIdentity.Should().BeTrue();
    }

    [Fact]
    public void Constructor_BadOperations_Throw()
    {
        ((Action)(() => new SubPolicy(null!))).Should().Throw<ArgumentNullException>();
        ((Action)(() => SubPolicy.Of(new PolicyOperation(AugmentationOperation.Flip, 1), null!))).Should().Throw<ArgumentNullException>().WithMessage("*operations[1]*");
        ((Action)(() => SubPolicy.Of(new PolicyOperation(AugmentationOperation.Rotate, 1.5)))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("Magnitude");
        ((Action)(() => SubPolicy.Of(new PolicyOperation(AugmentationOperation.Rotate, double.NaN)))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => SubPolicy.Of(new PolicyOperation((AugmentationOperation)77, 0)))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*77*");
    }
}
