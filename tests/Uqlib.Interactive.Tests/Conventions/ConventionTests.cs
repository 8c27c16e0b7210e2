using System;
using System.Collections.Generic;
using FluentAssertions;
using Uqlib.Tests.TestSupport;
using Xunit;

namespace Uqlib.Interactive.Tests.Conventions;

/// <summary>The package's conventions by reflection, as in the core's tests: refused arguments named, public classes sealed, no disposable type without a use-after-Dispose check.</summary>
public sealed class ConventionTests
{
    [Fact]
    public void Package_HasNoPublicDisposableType()
    {
        PublicMembers.DisposableTypes(typeof(UqlibFormatters).Assembly).Should().BeEmpty(
            "a new public disposable type needs a factory and the use-after-Dispose check of the core's DisposableConventionTests here");
    }

    [Fact]
    public void EveryNonNullableReferenceParameter_Null_ThrowsArgumentNullExceptionWithThePublicName()
    {
        var outcome = ArgumentChecks.Null(typeof(UqlibFormatters).Assembly, Sample);

        outcome.Wrong.Should().BeEmpty("each of these names the wrong parameter or none:\n{0}", string.Join("\n", outcome.Wrong));
        outcome.Inconclusive.Should().BeEmpty();
        outcome.Passed.Should().BeGreaterThan(3);
    }

    [Fact]
    public void EveryTensorOrNumberParameter_Invalid_IsRefusedWithThePublicName()
    {
        var outcome = ArgumentChecks.Invalid(typeof(UqlibFormatters).Assembly, Sample);

        outcome.Wrong.Should().BeEmpty("each of these names the wrong parameter or none:\n{0}", string.Join("\n", outcome.Wrong));
        outcome.Inconclusive.Should().BeEmpty("{0}", string.Join("\n", outcome.Inconclusive));
    }

    [Fact]
    public void PublicClasses_AreSealed()
    {
        TypeConventions.UnsealedClasses(typeof(UqlibFormatters).Assembly, new Dictionary<Type, string>()).Should().BeEmpty();
    }

    private static object? Sample(Type type, string name) => null;

    [Fact]
    public void LongRunningMethods_TakeProgressAndCancellationLast()
    {
        TypeConventions.LongRunningWithoutProgressAndCancellation(typeof(UqlibFormatters).Assembly).Should().BeEmpty();
    }

    [Fact]
    public void FittedTypes_OverrideToString()
    {
        TypeConventions.FittedTypesWithoutToString(typeof(UqlibFormatters).Assembly).Should().BeEmpty();
    }
}
