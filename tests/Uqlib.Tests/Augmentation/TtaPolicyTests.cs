using System;
using System.IO;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Ensembles;
using Uqlib.Models;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Augmentation;

public sealed class TtaPolicyTests : IDisposable
{
    private static readonly Lazy<GreedyPolicySearchResult> Searched = new(() =>
    {
        var (cache, labels) = SyntheticCache.Create();
        using (cache)
        using (labels)
        {
            return GreedyPolicySearch.Search(cache, labels, new GreedyPolicySearchOptions { Steps = 8 });
        }
    });

    private readonly string directory = Directory.CreateTempSubdirectory("uqlib-tta-policy-").FullName;

    public void Dispose()
    {
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void FromSearch_TakesTheSelectedSubPoliciesWithMultiplicity_AndTheTemperature()
    {
        var result = Searched.Value;
        var pool = CandidatePool.Medical(29, 2, seed: 4);
        var policy = TtaPolicy.FromSearch(result, pool);

        policy.Count.Should().Be(result.SelectedCandidates.Count);
        policy.SubPolicies!.Should().Equal(result.SelectedCandidates.Select(k => pool[k]));
        policy.Augmentations.Should().Equal(result.SelectedCandidates.Select(k => pool[k].Augmentation));
        policy.Temperature.Should().Be(result.Temperature);
        policy.CreateCalibrator(5).Temperature.Should().Be(result.Temperature);
        ((Action)(() => TtaPolicy.FromSearch(result, CandidatePool.Medical(5)))).Should().Throw<ArgumentException>()
            .WithParameterName("pool").WithMessage("*30 candidates*6*");
        ((Action)(() => TtaPolicy.FromSearch(null!, pool))).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void SaveLoad_RoundTrip_RebuildsIdenticalAugmentations()
    {
        var subPolicies = new[]
        {
            SubPolicy.Identity,
            SubPolicy.Of(new PolicyOperation(AugmentationOperation.GaussianNoise, -0.7123456789012345, 1234567), new PolicyOperation(AugmentationOperation.Rotate, 0.1 / 3)),
            SubPolicy.Of(new PolicyOperation(AugmentationOperation.BiasField, 0.9, 42), new PolicyOperation(AugmentationOperation.Flip, -1)),
        };
        var policy = TtaPolicy.FromSubPolicies(new[] { subPolicies[1], subPolicies[0], subPolicies[1], subPolicies[2] }, 1.2345678901234567);
        var path = Path.Combine(directory, "policy.json");
        policy.Save(path);
        var loaded = TtaPolicy.Load(path);

        loaded.Temperature.Should().Be(policy.Temperature);
        loaded.Count.Should().Be(4);
        loaded.SubPolicies!.Select(s => s.Operations.ToArray()).Should().BeEquivalentTo(policy.SubPolicies!.Select(s => s.Operations.ToArray()), o => o.WithStrictOrdering());
        using var x = torch.rand(new long[] { 2, 1, 10, 10 }, generator: torch.manual_seed(3));
        for (var i = 0; i < 4; i++)
        {
            using var a = policy.Augmentations[i].Apply(x);
            using var b = loaded.Augmentations[i].Apply(x);
            a.allclose(b, rtol: 0, atol: 0).Should().BeTrue();
        }

        var untempered = Path.Combine(directory, "plain.json");
        TtaPolicy.FromSubPolicies(subPolicies).Save(untempered);
        TtaPolicy.Load(untempered).Temperature.Should().BeNull();
    }

    [Theory]
    [InlineData("{\"temperature\":\"x\",\"subPolicies\":[{\"operations\":[{\"operation\":\"Rotate\",\"magnitude\":0.5,\"seed\":0}]}]}", "\"temperature\" is not a finite number")]
    [InlineData("{\"temperature\":-1,\"subPolicies\":[{\"operations\":[{\"operation\":\"Rotate\",\"magnitude\":0.5,\"seed\":0}]}]}", "*temperature*")]
    [InlineData("{\"temperature\":1,\"subPolicies\":[]}", "\"subPolicies\" is empty")]
    [InlineData("{\"temperature\":1,\"subPolicies\":[3]}", "\"subPolicies[0]\" is not an object")]
    [InlineData("{\"temperature\":1,\"subPolicies\":[{\"operations\":[{\"operation\":\"Shear\",\"magnitude\":0.5,\"seed\":0}]}]}", "\"operation\" is 'Shear', not a AugmentationOperation")]
    [InlineData("{\"temperature\":1,\"subPolicies\":[{\"operations\":[{\"operation\":\"7\",\"magnitude\":0.5,\"seed\":0}]}]}", "\"operation\" is '7'*")]
    [InlineData("{\"temperature\":1,\"subPolicies\":[{\"operations\":[{\"operation\":\"Rotate\",\"magnitude\":1.5,\"seed\":0}]}]}", "*Magnitude*")]
    [InlineData("{\"temperature\":1,\"subPolicies\":[{\"operations\":[{\"operation\":\"Rotate\",\"magnitude\":0.5}]}]}", "\"seed\" is missing")]
    public void Load_CorruptFile_ThrowsInvalidData(string content, string expected)
    {
        SavedFiles.ShouldRefuseFields(content, TtaPolicy.Load, "TtaPolicy", expected);
    }

    [Fact]
    public void Load_DamagedFile_IsRefusedClearly()
    {
        SavedFiles.ShouldRefuseCorruptions(TtaPolicy.FromSearch(Searched.Value, CandidatePool.Medical(29, 2, seed: 4)).Save, TtaPolicy.Load, "TtaPolicy");
    }

    [Fact]
    public void Save_PlainAugmentations_Throws_AndCreateCalibrator_NeedsATemperature()
    {
        var path = Path.Combine(directory, "x.json");
        ((Action)(() => TtaPolicy.Of(Augmentations.Identity).Save(path))).Should().Throw<InvalidOperationException>().WithMessage("*sub-policies*");
        ((Action)(() => TtaPolicy.Of(Augmentations.Identity).CreateCalibrator(3))).Should().Throw<InvalidOperationException>().WithMessage("*no temperature*");
        ((Action)(() => TtaPolicy.FromSubPolicies(new[] { SubPolicy.Identity }, 0))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("temperature");
        ((Action)(() => TtaPolicy.FromSubPolicies(Array.Empty<SubPolicy>()))).Should().Throw<ArgumentException>().WithMessage("*at least one sub-policy*");
        ((Action)(() => TtaPolicy.FromSubPolicies(new SubPolicy[] { null! }))).Should().Throw<ArgumentNullException>().WithMessage("*subPolicies[0]*");
        ((Action)(() => TtaPolicy.Load(Path.Combine(directory, "missing.json")))).Should().Throw<FileNotFoundException>();
    }

    [Fact]
    public void CreateCalibrator_InTheEstimator_GivesTheTemperedAverage()
    {
        using var scope = torch.NewDisposeScope();
        var weights = torch.randn(new long[] { 3, 36 }, dtype: ScalarType.Float64, generator: torch.manual_seed(1));
        var model = new DelegateModel(x => x.flatten(1).matmul(weights.t()), OutputKind.MulticlassLogits);
        var flip = SubPolicy.Of(new PolicyOperation(AugmentationOperation.Flip, 1));
        var policy = TtaPolicy.FromSubPolicies(new[] { SubPolicy.Identity, flip, flip }, 2.5);
        var estimator = new TestTimeAugmentationEstimator(model, policy, EnsembleScore.PredictiveEntropy, policy.CreateCalibrator(3));
        var x = torch.rand(new long[] { 4, 1, 6, 6 }, dtype: ScalarType.Float64, generator: torch.manual_seed(2));

        using var estimate = estimator.Estimate(x);

        var mean = model.Forward(x).Logits.softmax(1).add(model.Forward(x.flip(-1)).Logits.softmax(1).mul(2)).div(3);
        var expected = mean.log().div(2.5).softmax(1);
        estimate.Probabilities.allclose(expected, rtol: 0, atol: 1e-12).Should().BeTrue();
    }

    [Fact]
    public void Of_KeepsOrderAndRepeats()
    {
        var flip = Augmentations.Flip();
        var policy = TtaPolicy.Of(Augmentations.Identity, flip, flip, Augmentations.Gamma(0.8));
        policy.Count.Should().Be(4);
        policy.Augmentations[1].Should().BeSameAs(flip);
        policy.Augmentations[2].Should().BeSameAs(flip);
        policy.IsGeometric.Should().BeTrue();
        TtaPolicy.Of(Augmentations.Gamma(0.8)).IsGeometric.Should().BeFalse();
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(3, 4)]
    public void Flips_HasIdentityAndOneFlipPerAxis(int spatial, int count)
    {
        var policy = TtaPolicy.Flips(spatial);
        policy.Count.Should().Be(count);
        policy.Augmentations[0].Should().BeSameAs(Augmentations.Identity);
        ((Action)(() => TtaPolicy.Flips(4))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("spatialDimensions");
    }

    [Fact]
    public void Constructor_NoAugmentation_Throws()
    {
        ((Action)(() => TtaPolicy.Of())).Should().Throw<ArgumentException>().WithParameterName("augmentations").WithMessage("*at least one augmentation*");
        ((Action)(() => TtaPolicy.Of(Augmentations.Identity, null!))).Should().Throw<ArgumentNullException>().WithMessage("*augmentations[1]*");
        ((Action)(() => new TtaPolicy(null!))).Should().Throw<ArgumentNullException>();
    }
}
