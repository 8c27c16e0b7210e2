using System.Collections.Generic;
using FluentAssertions;
using Uqlib.Onnx.Tests.TestSupport;
using Uqlib.Tests.TestSupport;
using Xunit;

namespace Uqlib.Onnx.Tests.Conventions;

/// <summary>The package's conventions by reflection, as in the core's tests: use after Dispose, refused arguments named, public classes sealed.</summary>
public sealed class ConventionTests
{
    [Fact]
    public void Registry_CoversEveryPublicDisposableType()
    {
        PublicMembers.DisposableTypes(typeof(OnnxModel).Assembly).Should().BeEquivalentTo(PublicInstances.Disposables.Keys);
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
        var outcome = ArgumentChecks.Null(typeof(OnnxModel).Assembly, PublicInstances.Sample);

        outcome.Wrong.Should().BeEmpty("each of these names the wrong parameter or none:\n{0}", string.Join("\n", outcome.Wrong));
        outcome.Inconclusive.Should().BeEmpty();
        outcome.Passed.Should().BeGreaterThan(2);
    }

    [Fact]
    public void EveryTensorOrNumberParameter_Invalid_IsRefusedWithThePublicName()
    {
        var outcome = ArgumentChecks.Invalid(typeof(OnnxModel).Assembly, PublicInstances.Sample);

        outcome.Wrong.Should().BeEmpty("each of these names the wrong parameter or none:\n{0}", string.Join("\n", outcome.Wrong));
        outcome.Inconclusive.Should().BeEmpty();
    }

    [Fact]
    public void PublicClasses_AreSealed()
    {
        TypeConventions.UnsealedClasses(typeof(OnnxModel).Assembly, new Dictionary<System.Type, string>()).Should().BeEmpty();
    }

    [Fact]
    public void LongRunningMethods_TakeProgressAndCancellationLast()
    {
        TypeConventions.LongRunningWithoutProgressAndCancellation(typeof(OnnxModel).Assembly).Should().BeEmpty();
    }

    [Fact]
    public void FittedTypes_OverrideToString()
    {
        TypeConventions.FittedTypesWithoutToString(typeof(OnnxModel).Assembly).Should().BeEmpty();
    }
}
