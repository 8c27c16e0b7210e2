using FluentAssertions;
using Xunit;

namespace Uqlib.Plotting.Tests;

public sealed class ChartTests
{
    [Fact]
    public void StableIds_ProcessWideCounterIds_AreRenumberedInOrderOfFirstAppearance()
    {
        const string svg = "<clipPath id=\"cl_1f\"/><g clip-path=\"url(#cl_1f)\"/><clipPath id=\"cl_a\"/>"
            + "<use xlink:href=\"#cl_a\"/><linearGradient id=\"gr_7\"/><rect fill=\"url(#gr_7)\"/>";

        var stable = Chart.StableIds(svg);

        stable.Should().Be("<clipPath id=\"cl_0\"/><g clip-path=\"url(#cl_0)\"/><clipPath id=\"cl_1\"/>"
            + "<use xlink:href=\"#cl_1\"/><linearGradient id=\"gr_2\"/><rect fill=\"url(#gr_2)\"/>");
    }

    [Fact]
    public void StableIds_TextWithoutIds_IsUnchanged()
    {
        const string svg = "<text>cl_12 is not an id here</text>";

        Chart.StableIds(svg).Should().Be(svg);
    }
}
