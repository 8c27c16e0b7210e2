using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests;

public sealed class RowBufferTests
{
    [Fact]
    public void Take_AfterManyAppends_EqualsTheConcatenation()
    {
        using var all = torch.randn(new long[] { 1000, 3, 2 }, generator: torch.manual_seed(0));
        using var buffer = new RowBuffer("rows");
        for (long start = 0; start < 1000; start += 7)
        {
            using var rows = all.narrow(0, start, Math.Min(7, 1000 - start));
            buffer.Append(rows);
        }

        buffer.Count.Should().Be(1000);
        buffer.Capacity.Should().BeLessThanOrEqualTo(1250 + 7, "each new chunk holds a quarter of the rows so far, or the batch that needs it");
        buffer.Chunks.Should().BeGreaterThan(1);
        using var taken = buffer.Take();
        taken.shape.Should().Equal(1000, 3, 2);
        taken.allclose(all, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Append_GrowsGeometrically_SoFewBuffersAreEverAllocated()
    {
        using var buffer = new RowBuffer("rows");
        using var row = torch.ones(1, 4);
        var growths = 0;
        var capacity = 0L;
        for (var i = 0; i < 10_000; i++)
        {
            buffer.Append(row);
            if (buffer.Capacity != capacity)
            {
                growths++;
                capacity = buffer.Capacity;
            }
        }

        growths.Should().BeLessThan(45, "capacity grows 1 → 10,000 rows by factors of 1.25 (about 41 steps), not by one row at a time");
        buffer.Chunks.Should().Be(growths);
    }

    [Fact]
    public void Take_WithTheExactCapacity_HandsOverTheOneChunkFilled()
    {
        using var all = torch.randn(new long[] { 1000, 3 }, generator: torch.manual_seed(0));
        using var buffer = new RowBuffer("rows", 1000);
        for (long start = 0; start < 1000; start += 100)
        {
            using var rows = all.narrow(0, start, 100);
            buffer.Append(rows);
        }

        buffer.Chunks.Should().Be(1);
        buffer.Capacity.Should().Be(1000);
        using var taken = buffer.Take();
        taken.allclose(all, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Append_ABatchStraddlingTwoChunks_SplitsIt()
    {
        using var all = torch.arange(30, dtype: ScalarType.Float32).reshape(10, 3);
        using var buffer = new RowBuffer("rows", 4);
        using (var first = all.narrow(0, 0, 3))
        using (var second = all.narrow(0, 3, 7))
        {
            buffer.Append(first);
            buffer.Append(second);
        }

        buffer.Chunks.Should().Be(2, "one row fills the first chunk, the other six start the second");
        buffer.Capacity.Should().Be(10);
        using var taken = buffer.Take();
        taken.allclose(all, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Append_WithCapacity_AllocatesOnceForTheWholeInput()
    {
        using var buffer = new RowBuffer("rows", 10);
        using var rows = torch.arange(12, dtype: ScalarType.Float32).reshape(4, 3);
        buffer.Append(rows);
        buffer.Append(rows);
        buffer.Capacity.Should().Be(10);
        buffer.Append(rows.narrow(0, 0, 2));
        buffer.Capacity.Should().Be(10);
        using var taken = buffer.Take();
        taken.shape.Should().Equal(10, 3);
    }

    [Fact]
    public void Append_OfAnotherShapeOrDtype_ThrowsNamingTheRows()
    {
        using var buffer = new RowBuffer("X's scores");
        using var first = torch.zeros(2, 3);
        using var wider = torch.zeros(2, 4);
        using var doubles = torch.zeros(2, 3, dtype: ScalarType.Float64);
        buffer.Append(first);

        var wrongShape = () => buffer.Append(wider);
        var wrongType = () => buffer.Append(doubles);

        wrongShape.Should().Throw<InvalidOperationException>().WithMessage("X's scores*(-1, 3) Float32*(-1, 4) Float32*");
        wrongType.Should().Throw<InvalidOperationException>().WithMessage("X's scores*Float64*");
    }

    [Fact]
    public void Take_OfNothing_Throws()
    {
        using var buffer = new RowBuffer("rows");
        var act = () => buffer.Take();
        act.Should().Throw<InvalidOperationException>().WithMessage("rows: no rows were appended.");
    }

    [Fact]
    public void AppendAndTake_InsideADisposeScope_LeaveOnlyTheTakenTensor()
    {
        using var rows = torch.ones(3, 2);
        var before = LiveTensors.Count;
        Tensor taken;
        using (var scope = torch.NewDisposeScope())
        using (var buffer = new RowBuffer("rows"))
        {
            for (var i = 0; i < 20; i++)
            {
                buffer.Append(rows);
            }

            taken = buffer.Take();
        }

        using (taken)
        {
            taken.IsInvalid.Should().BeFalse("the taken tensor is outside every dispose scope");
            taken.shape.Should().Equal(60, 2);
            LiveTensors.Count.Should().Be(before + 1);
        }

        LiveTensors.Count.Should().Be(before);
    }
}
