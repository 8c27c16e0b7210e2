using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

public sealed class TopSimilaritiesTests
{
    [Theory]
    [InlineData(300, 2_500, 7, 1_024)]     // three tiles, the last one partial
    [InlineData(37, 1_037, 50, 1_037)]     // one tile whose rows end between vectors (1,037 = 32 × 32 + 13)
    [InlineData(5, 60, 60, 64)]            // k = the whole bank
    [InlineData(260, 900, 3, 3)]           // tiles of k rows
    public void OfBlock_CpuFloat32_KeepsTheKLargestOfTorchTopk(int queries, int bankRows, int k, long bankChunk)
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(7);
        var block = torch.randn(new long[] { queries, 24 }, generator: generator);
        using var generator2 = new Generator(8);
        var bank = torch.randn(new long[] { bankRows, 24 }, generator: generator2);
        var bias = torch.zeros(bankRows).index_fill_(0, torch.tensor(new long[] { 0, bankRows / 2, bankRows - 1 }), 0.5);

        var (values, indexes) = TopSimilarities.OfBlock(block, bank, k, bankChunk, bias);

        TopSimilarities.IsFused(bank).Should().BeTrue();
        values.shape.Should().Equal(queries, k);
        indexes.shape.Should().Equal(queries, k);
        // The reference: PyTorch's topk over the whole product (its float32 sums may round differently from a tile's).
        var expected = block.matmul(bank.t()).add_(bias).topk(k, 1).values;
        values.sort(1, descending: true).Values.allclose(expected, rtol: 0, atol: 1e-5).Should().BeTrue();
        // Each kept value is the key of the bank row it names, each row named once.
        var recomputed = block.to(ScalarType.Float64).unsqueeze(1).mul(bank.to(ScalarType.Float64).index_select(0, indexes.flatten()).view(queries, k, 24))
            .sum(2).add_(bias.to(ScalarType.Float64).index_select(0, indexes.flatten()).view(queries, k));
        values.to(ScalarType.Float64).allclose(recomputed, rtol: 0, atol: 1e-5).Should().BeTrue();
        indexes.sort(1).Values.diff(dim: 1).gt(0).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void OfBlock_TiedKeys_KeepsDistinctRowsOfTheTiedValue()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(9);
        var row = torch.randn(new long[] { 1, 16 }, generator: generator);
        using var generator3 = new Generator(10);
        var bank = torch.cat(new[] { torch.randn(new long[] { 100, 16 }, generator: generator3).mul_(0.01), row.expand(40, 16) }, 0);

        var (values, indexes) = TopSimilarities.OfBlock(row, bank, 25, 64, null);

        values.allclose(row.pow(2).sum().expand(1, 25), rtol: 1e-6, atol: 0).Should().BeTrue();
        indexes.ge(100).all().item<bool>().Should().BeTrue();
        indexes.unique().Item1.shape[0].Should().Be(25);
    }

    [Fact]
    public void Largest_Float64TakesTheTorchTopkPath_AndAgreesWithTheFusedFloat32Path()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(11);
        var queries = torch.randn(new long[] { 700, 32 }, generator: generator);
        using var generator4 = new Generator(12);
        var bank = torch.randn(new long[] { 3_000, 32 }, generator: generator4);

        var fused = TopSimilarities.Largest(queries, bank, 9, 1 << 20);
        var merged = TopSimilarities.Largest(queries.to(ScalarType.Float64), bank.to(ScalarType.Float64), 9, 1 << 20);

        TopSimilarities.IsFused(bank.to(ScalarType.Float64)).Should().BeFalse();
        merged.dtype.Should().Be(ScalarType.Float64);
        fused.sort(1).Values.to(ScalarType.Float64).allclose(merged.sort(1).Values, rtol: 0, atol: 1e-5).Should().BeTrue();
    }
}
