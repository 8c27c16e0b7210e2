using System;
using System.Linq;
using FluentAssertions;
using Uqlib.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;

namespace Uqlib.Tests.Conventions;

/// <summary>Every public disposable type of the core package: after <c>Dispose</c>, every public member throws <see cref="ObjectDisposedException"/> naming the type, and <c>Dispose</c> may be called again.</summary>
public sealed class DisposableConventionTests
{
    public static TheoryData<string> DisposableTypes => new(PublicInstances.Disposables.Keys.Select(t => t.FullName!).Order(StringComparer.Ordinal));

    [Fact]
    public void Registry_CoversEveryPublicDisposableType()
    {
        var types = PublicMembers.DisposableTypes(typeof(IModel).Assembly);

        types.Should().BeEquivalentTo(PublicInstances.Disposables.Keys,
            "every public disposable type needs a factory in PublicInstances so that it inherits the use-after-Dispose checks");
    }

    [Theory]
    [MemberData(nameof(DisposableTypes))]
    public void EveryMember_AfterDispose_ThrowsObjectDisposedExceptionNamingTheType(string typeName)
    {
        var type = PublicInstances.Disposables.Keys.Single(t => t.FullName == typeName);

        var wrong = PublicMembers.UseAfterDispose(type, PublicInstances.Disposables[type], PublicInstances.Sample);

        PublicMembers.InstanceMembers(type).Should().NotBeEmpty();
        wrong.Should().BeEmpty("each of these did not throw ObjectDisposedException naming {0} (or Dispose was not idempotent):\n{1}", type.Name, string.Join("\n", wrong));
    }

    [Fact]
    public void ClassCounts_AfterDispose_ThrowsObjectDisposedException()
    {
        // A span-returning member, which reflection cannot call.
        var statistics = (FeatureStatistics)PublicInstances.Disposables[typeof(FeatureStatistics)]();
        statistics.Dispose();

        var act = () => statistics.ClassCounts.Length;

        act.Should().Throw<ObjectDisposedException>().Which.ObjectName.Should().Be(typeof(FeatureStatistics).FullName);
    }
}
