using System;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Segmentation;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Segmentation;

public sealed class ConnectedComponentsTests
{
    public static TheoryData<int> Labelings()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Golden.Load("lesions.json").GetProperty("labels").GetArrayLength(); i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Labelings))]
    public void Label_RandomMask_EqualsScipyNdimageLabel(int index)
    {
        var golden = Golden.Load("lesions.json").GetProperty("labels")[index];
        var shape = golden.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        using var mask = torch.tensor(Ints(golden.GetProperty("mask")), ScalarType.Int32).reshape(shape).to(ScalarType.Bool);

        var (labels, count) = ConnectedComponents.Label(mask, (Connectivity)golden.GetProperty("connectivity").GetInt32());

        using (labels)
        {
            count.Should().Be(golden.GetProperty("count").GetInt32());
            labels.shape.Should().Equal(shape);
            labels.dtype.Should().Be(ScalarType.Int32);
            labels.data<int>().ToArray().Should().Equal(Ints(golden.GetProperty("labels")));
        }
    }

    [Fact]
    public void Label_DiagonalPixels_ConnectOnlyWithEightNeighbours()
    {
        using var mask = torch.tensor(new float[] { 1, 0, 0, 1 }).reshape(2, 2);

        ConnectedComponents.Label(mask, Connectivity.Four).Count.Should().Be(2);
        ConnectedComponents.Label(mask, Connectivity.Eight).Count.Should().Be(1);
    }

    [Fact]
    public void Label_CornerTouchingVoxels_ConnectOnlyWithTwentySix()
    {
        using var mask = torch.zeros(2, 2, 2);
        mask[0, 0, 0] = torch.tensor(1f);
        mask[1, 1, 1] = torch.tensor(1f);
        mask[1, 0, 1] = torch.tensor(0f);

        ConnectedComponents.Label(mask, Connectivity.Six).Count.Should().Be(2);
        ConnectedComponents.Label(mask, Connectivity.Eighteen).Count.Should().Be(2);
        ConnectedComponents.Label(mask, Connectivity.TwentySix).Count.Should().Be(1);
    }

    [Fact]
    public void Label_UShape_MergesBranchesIntoOneRasterOrderedComponent()
    {
        // Two arms that meet only at the bottom row: provisional labels 1 and 2 merge into 1; the lone pixel after them is 2.
        using var mask = torch.tensor(new float[]
        {
            1, 0, 1, 0, 1,
            1, 0, 1, 0, 0,
            1, 1, 1, 0, 0,
        }).reshape(3, 5);

        var (labels, count) = ConnectedComponents.Label(mask, Connectivity.Four);

        using (labels)
        {
            count.Should().Be(2);
            labels.data<int>().ToArray().Should().Equal(1, 0, 1, 0, 2, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0);
        }
    }

    [Theory]
    [InlineData(2, Connectivity.Six)]
    [InlineData(2, Connectivity.TwentySix)]
    [InlineData(3, Connectivity.Four)]
    [InlineData(3, Connectivity.Eight)]
    public void Label_ConnectivityOfTheOtherRank_NamesIt(int rank, Connectivity connectivity)
    {
        using var mask = torch.ones(Enumerable.Repeat(3L, rank).ToArray());

        var act = () => ConnectedComponents.Label(mask, connectivity);

        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == "connectivity").WithMessage($"*found {connectivity}*");
    }

    [Fact]
    public void Label_NonBinaryOrWrongRank_Refused()
    {
        using var twos = torch.full(3, 3, 2f);
        using var flat = torch.ones(5);

        var nonBinary = () => ConnectedComponents.Label(twos, Connectivity.Four);
        var rank1 = () => ConnectedComponents.Label(flat, Connectivity.Four);

        nonBinary.Should().Throw<ArgumentException>().Where(e => e.ParamName == "mask");
        rank1.Should().Throw<ArgumentException>().Where(e => e.ParamName == "mask");
    }

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();
}
