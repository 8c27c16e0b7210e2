using System;
using System.Collections.Generic;
using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

public sealed class VimAlphaAccumulatorTests
{
    /// <summary>Uneven shard boundaries over the 2400 cases of <see cref="FeatureStatisticsAccumulatorMergeCases"/>, and the features' mean offset.</summary>
    public static TheoryData<long[], double> ShardCases => new()
    {
        { new long[] { 0, 2400 }, 1e4 },
        { new long[] { 0, 700, 2400 }, 1e4 },
        { new long[] { 0, 1, 350, 1999, 2400 }, 1e4 },
        { new long[] { 0, 1, 350, 1999, 2400 }, 0.0 },
    };

    [Theory]
    [MemberData(nameof(ShardCases))]
    public void ToDetector_TwoShardedPasses_ScoresEqualSingleProcessFitTo1e10(long[] bounds, double offset)
    {
        // Features 10⁴ times their spread from zero: the statistics' merge must not lose the digits that naive sums of x xᵀ would.
        using var scope = torch.NewDisposeScope();
        var x = FeatureStatisticsAccumulatorMergeCases.Features(offset);
        var (w, b) = Head(offset);
        using var expected = VimDetector.Fit(x, w, b);

        using var merged = TwoPasses(x, w, b, bounds);
        using var detector = merged.ToDetector();

        var queries = Queries(offset);
        var error = FeatureStatisticsAccumulatorMergeCases.RelativeError(detector.Score(queries), expected.Score(queries));
        error.Should().BeLessThan(1e-10);
        detector.Alpha.Should().BeApproximately(expected.Alpha, 1e-10 * Math.Abs(expected.Alpha));
        detector.PrincipalDimension.Should().Be(expected.PrincipalDimension);
        FeatureStatisticsAccumulatorMergeCases.RelativeError(Projector(detector), Projector(expected)).Should().BeLessThan(1e-10);
        merged.Count.Should().Be(x.shape[0]);
    }

    [Fact]
    public void ToDetector_MeanFarOutsideTheLayersRowSpace_AgreesAsFarAsTheMomentIsConditioned()
    {
        // With the mean 10⁴ from the origin u in a direction the layer cannot see, the moment about u has a rank-one part 10⁸ times its
        // spread: any float64 eigendecomposition of it (the single-process one included) is then good to about eps·10⁸ relative.
        using var scope = torch.NewDisposeScope();
        var x = FeatureStatisticsAccumulatorMergeCases.Features(1e4);
        var (w, b) = Head(0.0);
        using var expected = VimDetector.Fit(x, w, b);

        using var merged = TwoPasses(x, w, b, [0, 1, 350, 1999, 2400]);
        using var detector = merged.ToDetector();

        var queries = Queries(1e4);
        FeatureStatisticsAccumulatorMergeCases.RelativeError(detector.Score(queries), expected.Score(queries)).Should().BeLessThan(1e-7);
    }

    [Fact]
    public void FromStatistics_LabelledStatistics_UsesTheirTotalMoments()
    {
        using var scope = torch.NewDisposeScope();
        var x = FeatureStatisticsAccumulatorMergeCases.Features();
        var (w, b) = Head(1e4);
        using var labelled = FeatureStatistics.Compute(x, FeatureStatisticsAccumulatorMergeCases.Labels(), FeatureStatisticsAccumulatorMergeCases.Classes);
        using var accumulator = VimAlphaAccumulator.FromStatistics(labelled, w, b);
        accumulator.Add(x);
        using var expected = VimDetector.Fit(x, w, b);

        using var detector = accumulator.ToDetector();

        var queries = Queries(1e4);
        FeatureStatisticsAccumulatorMergeCases.RelativeError(detector.Score(queries), expected.Score(queries)).Should().BeLessThan(1e-10);
    }

    [Fact]
    public void ToDetector_MissingShard_ThrowsNamingTheCounts()
    {
        using var scope = torch.NewDisposeScope();
        var x = FeatureStatisticsAccumulatorMergeCases.Features();
        var (w, b) = Head(1e4);
        using var statistics = FeatureStatistics.Compute(x, null, 1);
        using var accumulator = VimAlphaAccumulator.FromStatistics(statistics, w, b);
        accumulator.Add(x.narrow(0, 0, 1000));

        var act = () => accumulator.ToDetector();

        act.Should().Throw<InvalidOperationException>().WithMessage("*added 1000 features but the subspace was computed from 2400*");
    }

    [Fact]
    public void Merge_AccumulatorOfAnotherSubspace_Throws()
    {
        using var scope = torch.NewDisposeScope();
        var x = FeatureStatisticsAccumulatorMergeCases.Features();
        var (w, b) = Head(1e4);
        using var statistics = FeatureStatistics.Compute(x, null, 1);
        using var first = VimAlphaAccumulator.FromStatistics(statistics, w, b);
        using var other = VimAlphaAccumulator.FromStatistics(statistics, w, b.add(1.0));

        var act = () => first.Merge(other);

        act.Should().Throw<ArgumentException>().WithParameterName("other").WithMessage("*load the one accumulator saved after pass 1*");
        FluentActions.Invoking(() => first.Merge(first)).Should().Throw<ArgumentException>().WithParameterName("other");
    }

    [Fact]
    public void SaveLoad_PartialState_RoundTripsBitForBit()
    {
        using var scope = torch.NewDisposeScope();
        var x = FeatureStatisticsAccumulatorMergeCases.Features();
        var (w, b) = Head(1e4);
        using var statistics = FeatureStatistics.Compute(x, null, 1);
        using var accumulator = VimAlphaAccumulator.FromStatistics(statistics, w, b, new VimOptions { PrincipalDimension = 2 });
        accumulator.Add(x);

        using var loaded = SavedFiles.RoundTrip(accumulator.Save, VimAlphaAccumulator.Load);
        using var fromOriginal = accumulator.ToDetector();
        using var fromLoaded = loaded.ToDetector();

        loaded.ToString().Should().Be("VimAlphaAccumulator(dim=6, principal=2, n=2400 of 2400)");
        fromLoaded.Alpha.Should().Be(fromOriginal.Alpha);
        var queries = Queries(1e4);
        fromLoaded.Score(queries).eq(fromOriginal.Score(queries)).all().item<bool>().Should().BeTrue();
        FluentActions.Invoking(() => accumulator.Merge(loaded)).Should().NotThrow("a loaded copy shares the basis bit for bit");
    }

    [Fact]
    public void Load_CorruptFiles_AreRefused()
    {
        using var scope = torch.NewDisposeScope();
        var x = FeatureStatisticsAccumulatorMergeCases.Features();
        var (w, b) = Head(0.0);
        using var statistics = FeatureStatistics.Compute(x, null, 1);
        using var accumulator = VimAlphaAccumulator.FromStatistics(statistics, w, b);

        SavedFiles.ShouldRefuseCorruptions(accumulator.Save, VimAlphaAccumulator.Load, "VimAlphaAccumulator");
    }

    [Fact]
    public void Add_WrongDimensionOrNaN_Throws()
    {
        using var scope = torch.NewDisposeScope();
        var x = FeatureStatisticsAccumulatorMergeCases.Features();
        var (w, b) = Head(0.0);
        using var statistics = FeatureStatistics.Compute(x, null, 1);
        using var accumulator = VimAlphaAccumulator.FromStatistics(statistics, w, b);
        var nan = x.narrow(0, 0, 4).clone();
        nan[2, 1] = torch.tensor(double.NaN);

        FluentActions.Invoking(() => accumulator.Add(torch.zeros(3, 5, ScalarType.Float64))).Should().Throw<ArgumentException>()
            .WithParameterName("features").WithMessage("*dimension 6*");
        FluentActions.Invoking(() => accumulator.Add(nan)).Should().Throw<ArgumentException>().WithParameterName("features").WithMessage("*NaN*");
        accumulator.Count.Should().Be(0);
    }

    [Fact]
    public void FromStatistics_WeightOfAnotherDimensionOrPrincipalTooLarge_Throws()
    {
        using var scope = torch.NewDisposeScope();
        var x = FeatureStatisticsAccumulatorMergeCases.Features();
        using var statistics = FeatureStatistics.Compute(x, null, 1);

        FluentActions.Invoking(() => VimAlphaAccumulator.FromStatistics(statistics, torch.ones(3, 5, ScalarType.Float64)))
            .Should().Throw<ArgumentException>().WithParameterName("weight");
        FluentActions.Invoking(() => VimAlphaAccumulator.FromStatistics(statistics, torch.ones(3, 6, ScalarType.Float64), null, new VimOptions { PrincipalDimension = 6 }))
            .Should().Throw<ArgumentException>().WithMessage("*below the feature dimension 6*");
    }

    /// <summary>
    /// Pass 1 (feature statistics of each shard in batches of 97, merged by Chan–Golub–LeVeque), the pass-1 accumulator through a file, pass 2
    /// (each shard loads that file, adds its rows, saves), and the merge of the loaded partial states in a tree.
    /// </summary>
    internal static VimAlphaAccumulator TwoPasses(Tensor x, Tensor w, Tensor b, long[] bounds)
    {
        var statistics = new List<FeatureStatisticsAccumulator>();
        try
        {
            for (var i = 0; i + 1 < bounds.Length; i++)
            {
                var shard = new FeatureStatisticsAccumulator(1);
                statistics.Add(shard);
                for (var from = bounds[i]; from < bounds[i + 1]; from += 97)
                {
                    using var rows = x.narrow(0, from, Math.Min(97, bounds[i + 1] - from));
                    shard.Add(rows);
                }
            }

            for (var i = statistics.Count - 1; i > 0; i--)
            {
                statistics[0].Merge(statistics[i]);
            }

            using var merged = statistics[0].ToStatistics();
            using var pass1 = VimAlphaAccumulator.FromStatistics(merged, w, b);
            var partials = new List<VimAlphaAccumulator>();
            for (var i = 0; i + 1 < bounds.Length; i++)
            {
                using var shard = SavedFiles.RoundTrip(pass1.Save, VimAlphaAccumulator.Load);
                using (var rows = x.narrow(0, bounds[i], bounds[i + 1] - bounds[i]))
                {
                    shard.Add(rows);
                }

                partials.Add(SavedFiles.RoundTrip(shard.Save, VimAlphaAccumulator.Load));
            }

            for (var step = 1; step < partials.Count; step *= 2)
            {
                for (var i = 0; i + step < partials.Count; i += 2 * step)
                {
                    partials[i].Merge(partials[i + step]);
                }
            }

            for (var i = 1; i < partials.Count; i++)
            {
                partials[i].Dispose();
            }

            return partials[0];
        }
        finally
        {
            statistics.ForEach(s => s.Dispose());
        }
    }

    /// <summary>
    /// A seeded head (3, 6) whose row space holds the direction (1, …, 1) of the features' offset, and whose bias puts the origin −W⁺b among the
    /// features (shifted by <paramref name="offset"/> on every coordinate), as a trained layer's origin lies near its features.
    /// </summary>
    internal static (Tensor Weight, Tensor Bias) Head(double offset)
    {
        var generator = new Generator(77);
        var w = torch.randn(new long[] { 3, 6 }, dtype: ScalarType.Float64, generator: generator);
        w[0] = torch.full(6, 0.5, ScalarType.Float64);
        var b = torch.randn(3, dtype: ScalarType.Float64, generator: generator).sub_(w.sum(1).mul(offset));
        return (w, b);
    }

    /// <summary>In- and out-of-distribution queries (15, 6) around the features.</summary>
    private static Tensor Queries(double offset)
    {
        using var generator = new Generator(78);
        return torch.randn(new long[] { 15, 6 }, dtype: ScalarType.Float64, generator: generator).mul_(4.0).add_(offset);
    }

    /// <summary>The projector onto the residual space, independent of the basis chosen within it.</summary>
    private static Tensor Projector(VimDetector detector)
    {
        var basis = detector.ResidualBasis;
        return basis.matmul(basis.t());
    }
}
