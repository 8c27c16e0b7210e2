using System;
using System.Linq;
using FluentAssertions;
using Uqlib.Augmentation;
using Xunit;

namespace Uqlib.Tests.Augmentation;

public sealed class CandidatePoolTests
{
    [Fact]
    public void Generate_SameSeed_GivesTheSamePool_OtherSeed_Differs()
    {
        var options = new CandidatePoolOptions { Groups = new[] { new CandidateGroup(50, 3, 30) }, Seed = 7 };
        var first = CandidatePool.Generate(options);
        var second = CandidatePool.Generate(options);
        var other = CandidatePool.Generate(options with { Seed = 8 });

        first.Count.Should().Be(51);
        first.Candidates.Select(c => c.Operations.ToArray()).Should().BeEquivalentTo(second.Candidates.Select(c => c.Operations.ToArray()), o => o.WithStrictOrdering());
        first.Candidates.Select(c => c.ToString()).Should().NotEqual(other.Candidates.Select(c => c.ToString()));
    }

    [Fact]
    public void Generate_IdentityIsAlwaysFirst()
    {
        CandidatePool.Generate()[0].Should().BeSameAs(SubPolicy.Identity);
        CandidatePool.Medical(5, seed: 3)[0].IsIdentity.Should().BeTrue();
        CandidatePool.Of(SubPolicy.Of(new PolicyOperation(AugmentationOperation.Flip, 1)))[0].Should().BeSameAs(SubPolicy.Identity);
    }

    [Fact]
    public void Generate_ShareMagnitude_GivesOneMagnitudePerSubPolicy_DrawnFromTheOperationList()
    {
        var operations = new[] { AugmentationOperation.Rotate, AugmentationOperation.Gamma, AugmentationOperation.Flip };
        var pool = CandidatePool.Generate(new CandidatePoolOptions
        {
            Operations = operations, Groups = new[] { new CandidateGroup(300, 3, 30) }, Seed = 1, ShareMagnitude = true,
        });
        foreach (var candidate in pool.Candidates.Skip(1))
        {
            candidate.Operations.Count.Should().BeLessThanOrEqualTo(3);
            candidate.Operations.All(o => operations.Contains(o.Operation)).Should().BeTrue();
            candidate.Operations.Select(o => o.Magnitude).Distinct().Should().HaveCountLessThanOrEqualTo(1);
        }
    }

    [Fact]
    public void Generate_ByDefault_DrawsOneMagnitudePerOperation()
    {
        var pool = CandidatePool.Generate(new CandidatePoolOptions
        {
            Operations = new[] { AugmentationOperation.Rotate, AugmentationOperation.Gamma },
            Groups = new[] { new CandidateGroup(200, 3, 30) },
            Seed = 2,
        });

        var full = pool.Candidates.Where(c => c.Operations.Count == 3).ToArray();
        full.Length.Should().BeGreaterThan(150, "each operation is skipped with probability 1/60 only");
        full.Should().OnlyContain(c => c.Operations.Select(o => o.Magnitude).Distinct().Count() == 3, "each operation draws its own level");
    }

    [Fact]
    public void Generate_ZeroMaxMagnitude_SkipsEveryMagnitudeDependentOperation()
    {
        var pool = CandidatePool.Generate(new CandidatePoolOptions
        {
            Operations = new[] { AugmentationOperation.Rotate, AugmentationOperation.Flip, AugmentationOperation.Brightness },
            Groups = new[] { new CandidateGroup(200, 3, 0) },
        });

        var kept = pool.Candidates.SelectMany(c => c.Operations).ToArray();
        kept.Should().NotBeEmpty().And.OnlyContain(o => o.Operation == AugmentationOperation.Flip && o.Magnitude == 0);
        pool.Candidates.Count(c => c.IsIdentity).Should().BeGreaterThan(1, "sub-policies of only skipped operations are identities");
    }

    [Fact]
    public void Generate_Magnitudes_AreUniformAndClamped()
    {
        // M = 45 on the scale 30: |m/30| > 1 with probability 1/3 (clamped to ±1); the skip band |level| < 0.5 has probability 1/90.
        var pool = CandidatePool.Generate(new CandidatePoolOptions
        {
            Operations = new[] { AugmentationOperation.Rotate },
            Groups = new[] { new CandidateGroup(9000, 1, 45) },
            Seed = 3,
        });

        var magnitudes = pool.Candidates.Skip(1).Where(c => c.Operations.Count == 1).Select(c => c.Operations[0].Magnitude).ToArray();
        var skipped = 9000 - magnitudes.Length;
        skipped.Should().BeInRange(100 - 40, 100 + 40, "Binomial(9000, 1/90): mean 100, sd ≈ 10, four sd");
        var clamped = magnitudes.Count(m => Math.Abs(m) == 1) / (double)magnitudes.Length;
        clamped.Should().BeApproximately(1.0 / 3, 4 * Math.Sqrt((1.0 / 3) * (2.0 / 3) / magnitudes.Length));
        magnitudes.Average().Should().BeApproximately(0, 4 * 0.75 / Math.Sqrt(magnitudes.Length));
        magnitudes.Count(m => m > 0).Should().BeCloseTo(magnitudes.Length / 2, (uint)(4 * Math.Sqrt(magnitudes.Length / 4.0)));
    }

    [Fact]
    public void CifarLike_HasTheAuthorsLayout()
    {
        var pool = CandidatePool.CifarLike(seed: 2);
        pool.Count.Should().Be(1101);
        pool.Candidates.SelectMany(c => c.Operations).Select(o => o.Operation).Should().OnlyContain(o => CandidatePool.CifarOperations.Contains(o));
        pool.Candidates.Skip(1001).Should().OnlyContain(c => c.IsIdentity, "M = 0 skips every CIFAR operation with a magnitude");
        pool.Candidates.Skip(501).Take(500).SelectMany(c => c.Operations).Should().OnlyContain(o => Math.Abs(o.Magnitude) <= 20.0 / 30);
    }

    [Fact]
    public void Medical_BuildsAugmentationsThatRunOnImagesAndVolumes()
    {
        var pool = CandidatePool.Medical(40, 2, seed: 5);
        pool.Count.Should().Be(41);
        using var image = TorchSharp.torch.rand(new long[] { 2, 1, 12, 12 }, generator: TorchSharp.torch.manual_seed(1));
        using var volume = TorchSharp.torch.rand(new long[] { 1, 1, 6, 12, 12 }, generator: TorchSharp.torch.manual_seed(2));
        foreach (var candidate in pool.Candidates)
        {
            using var a = candidate.Augmentation.Apply(image);
            using var b = candidate.Augmentation.Apply(volume);
            a.shape.Should().Equal(image.shape);
            b.shape.Should().Equal(volume.shape);
        }
    }

    [Fact]
    public void Generate_BadOptions_ReportEveryProblem()
    {
        var bad = new CandidatePoolOptions
        {
            Operations = Array.Empty<AugmentationOperation>(),
            Groups = new[] { new CandidateGroup(0, 1, 1), null! },
            MagnitudeScale = double.NaN,
            SkipBelow = -1,
        };
        ((Action)(() => CandidatePool.Generate(bad))).Should().Throw<ArgumentException>()
            .WithMessage("*Operations*none*Groups[0]*Groups[1] is null*MagnitudeScale*NaN*SkipBelow*");
        ((Action)(() => CandidatePool.Generate(new CandidatePoolOptions { Operations = new[] { (AugmentationOperation)99 } })))
            .Should().Throw<ArgumentException>().WithMessage("*undefined*99*");
        ((Action)(() => CandidatePool.Generate(new CandidatePoolOptions { Groups = new[] { new CandidateGroup(1, 1, double.PositiveInfinity) } })))
            .Should().Throw<ArgumentException>().WithMessage("*MaxMagnitude*");
        ((Action)(() => CandidatePool.Of(null!))).Should().Throw<ArgumentNullException>();
        ((Action)(() => CandidatePool.Of(SubPolicy.Identity, null!))).Should().Throw<ArgumentNullException>().WithMessage("*subPolicies[1]*");
    }
}
