using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using FluentAssertions;
using TorchSharp;
using Uqlib.Tests.TestSupport;
using Xunit;

namespace Uqlib.Tests.Conventions;

/// <summary>
/// Every public constructor and method of the core package that takes a non-nullable reference parameter rejects <see langword="null"/> there
/// with an <see cref="ArgumentNullException"/> whose <see cref="ArgumentException.ParamName"/> is that public parameter's name, at the call
/// (not later, when a lazy sequence is enumerated). The other arguments come from <see cref="PublicInstances"/>.
/// </summary>
public sealed class NullArgumentConventionTests
{
    [Fact]
    public void EveryNonNullableReferenceParameter_Null_ThrowsArgumentNullExceptionWithThePublicName()
    {
        var (wrong, passed, inconclusive) = NullArguments.Check(typeof(IModel).Assembly, PublicInstances.Sample);

        wrong.Should().BeEmpty("each of these names the wrong parameter or none:\n{0}", string.Join("\n", wrong));
        passed.Should().BeGreaterThan(250, "the sample registry reaches most of the public surface");
        inconclusive.Count.Should().BeLessThan(passed / 50,
            "few calls may refuse a sample before reaching the null; these did:\n{0}", string.Join("\n", inconclusive));
    }
}
