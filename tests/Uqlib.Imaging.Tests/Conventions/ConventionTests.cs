using System;
using System.Collections.Generic;
using FluentAssertions;
using Uqlib.Imaging.Tests.TestSupport;
using Uqlib.Tests.TestSupport;
using Xunit;

namespace Uqlib.Imaging.Tests.Conventions;

/// <summary>The package's conventions by reflection, as in the core's tests: use after Dispose, refused arguments named, public classes sealed.</summary>
public sealed class ConventionTests
{
    [Fact]
    public void Registry_CoversEveryPublicDisposableType()
    {
        PublicMembers.DisposableTypes(typeof(ImageLoader).Assembly).Should().BeEquivalentTo(PublicInstances.Disposables.Keys,
            "every public disposable type needs a factory in PublicInstances so that it inherits the use-after-Dispose checks");
    }

    [Fact]
    public void EveryMember_AfterDispose_ThrowsObjectDisposedExceptionNamingTheType()
    {
        var wrong = new List<string>();
        foreach (var (type, factory) in PublicInstances.Disposables)
        {
            wrong.AddRange(PublicMembers.UseAfterDispose(type, factory, PublicInstances.Sample));
        }

        wrong.Should().BeEmpty("each of these did not throw ObjectDisposedException naming its type:\n{0}", string.Join("\n", wrong));
    }

    [Fact]
    public void EveryNonNullableReferenceParameter_Null_ThrowsArgumentNullExceptionWithThePublicName()
    {
        var outcome = ArgumentChecks.Null(typeof(ImageLoader).Assembly, PublicInstances.Sample);

        outcome.Wrong.Should().BeEmpty("each of these names the wrong parameter or none:\n{0}", string.Join("\n", outcome.Wrong));
        outcome.Inconclusive.Should().BeEmpty();
        outcome.Passed.Should().BeGreaterThan(5);
    }

    [Fact]
    public void EveryTensorOrNumberParameter_Invalid_IsRefusedWithThePublicName()
    {
        var outcome = ArgumentChecks.Invalid(typeof(ImageLoader).Assembly, PublicInstances.Sample);

        outcome.Wrong.Should().BeEmpty("each of these names the wrong parameter or none:\n{0}", string.Join("\n", outcome.Wrong));
        outcome.Inconclusive.Should().BeEmpty("{0}", string.Join("\n", outcome.Inconclusive));
    }

    [Fact]
    public void PublicClasses_AreSealed()
    {
        TypeConventions.UnsealedClasses(typeof(ImageLoader).Assembly, new Dictionary<Type, string>()).Should().BeEmpty();
    }

    [Fact]
    public void LongRunningMethods_TakeProgressAndCancellationLast()
    {
        TypeConventions.LongRunningWithoutProgressAndCancellation(typeof(ImageLoader).Assembly).Should().BeEmpty();
    }

    [Fact]
    public void FittedTypes_OverrideToString()
    {
        TypeConventions.FittedTypesWithoutToString(typeof(ImageLoader).Assembly).Should().BeEmpty();
    }
}
