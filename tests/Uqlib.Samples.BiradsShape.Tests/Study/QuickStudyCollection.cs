using Xunit;

namespace Uqlib.Samples.BiradsShape.Tests.Study;

/// <summary>Shares one quick run of the study between the test classes that read its report folder.</summary>
[CollectionDefinition(Name)]
public sealed class QuickStudyCollection : ICollectionFixture<QuickStudyFixture>
{
    public const string Name = "Quick BI-RADS study";
}
