using FluentAssertions;
using Uqlib.Tests.TestSupport;
using Xunit;

namespace Uqlib.Tests.Conventions;

/// <summary>
/// Every public constructor and method of the core package names a refused argument by its public parameter name (NodaTime's null-argument
/// tests): <see langword="null"/> for a non-nullable reference parameter throws <see cref="System.ArgumentNullException"/> at the call (not later,
/// when a lazy sequence is enumerated), and an invalid tensor or number, where refused, throws an <see cref="System.ArgumentException"/> with that
/// <see cref="System.ArgumentException.ParamName"/>. The other arguments come from <see cref="PublicInstances"/>.
/// </summary>
public sealed class ArgumentConventionTests
{
    [Fact]
    public void EveryNonNullableReferenceParameter_Null_ThrowsArgumentNullExceptionWithThePublicName()
    {
        var outcome = ArgumentChecks.Null(typeof(IModel).Assembly, PublicInstances.Sample);

        outcome.Wrong.Should().BeEmpty("each of these names the wrong parameter or none:\n{0}", string.Join("\n", outcome.Wrong));
        outcome.Passed.Should().BeGreaterThan(250, "the sample registry reaches most of the public surface");
        outcome.Inconclusive.Count.Should().BeLessThan(outcome.Passed / 50,
            "few calls may refuse a sample before reaching the null; these did:\n{0}", string.Join("\n", outcome.Inconclusive));
    }

    [Fact]
    public void EveryTensorOrNumberParameter_Invalid_IsRefusedWithThePublicName()
    {
        var outcome = ArgumentChecks.Invalid(typeof(IModel).Assembly, PublicInstances.Sample);

        outcome.Wrong.Should().BeEmpty("each of these names the wrong parameter or none:\n{0}", string.Join("\n", outcome.Wrong));
        outcome.Passed.Should().BeGreaterThan(250, "the sample registry reaches most of the public surface");
        outcome.Inconclusive.Count.Should().BeLessThan(outcome.Passed / 20,
            "few calls may refuse a sample before reaching the invalid value; these did:\n{0}", string.Join("\n", outcome.Inconclusive));
    }
}
