using System;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Ensembles;
using Uqlib.Models;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Ensembles;

public sealed class McDropoutEstimatorTests
{
    [Fact]
    public void Estimate_SameSeed_GivesTheSameEstimate_AndAnotherSeedAnother()
    {
        using var module = WhiteBoxMlp.Create();
        var model = new TorchModuleModel(module, OutputKind.MulticlassLogits);
        using var inputs = WhiteBoxMlp.Inputs();
        var first = new McDropoutEstimator(model, new McDropoutOptions { Seed = 3 });
        var again = new McDropoutEstimator(model, new McDropoutOptions { Seed = 3 });
        var other = new McDropoutEstimator(model, new McDropoutOptions { Seed = 4 });

        using var a = first.Estimate(inputs);
        using var b = again.Estimate(inputs);
        using var c = other.Estimate(inputs);

        a.Scores.allclose(b.Scores, rtol: 0, atol: 0).Should().BeTrue();
        a.Probabilities.allclose(b.Probabilities, rtol: 0, atol: 0).Should().BeTrue();
        a.Scores.allclose(c.Scores, rtol: 0, atol: 0).Should().BeFalse();
    }

    [Fact]
    public void Estimate_WithDropout_PassesDisagree()
    {
        using var module = WhiteBoxMlp.Create();
        var estimator = new McDropoutEstimator(new TorchModuleModel(module, OutputKind.MulticlassLogits));
        using var inputs = WhiteBoxMlp.Inputs();
        using var estimate = estimator.Estimate(inputs);

        estimate.Scores.dtype.Should().Be(ScalarType.Float64);
        Golden.ToArray(estimate.Scores).Should().AllSatisfy(s => s.Should().BeGreaterThan(1e-4, "p = 0.5 dropout on 10 units changes every prediction"));
    }

    [Fact]
    public void Estimate_ZeroDropout_RecoversTheEvaluationOutput()
    {
        using var module = WhiteBoxMlp.Create(dropout: 0.0);
        var model = new TorchModuleModel(module, OutputKind.MulticlassLogits);
        var estimator = new McDropoutEstimator(model, new McDropoutOptions { Passes = 4 });
        using var inputs = WhiteBoxMlp.Inputs();
        using var estimate = estimator.Estimate(inputs);
        using var output = model.Forward(inputs);
        using var expected = output.Logits.softmax(1);

        estimate.Probabilities.allclose(expected, rtol: 1e-12, atol: 1e-15).Should().BeTrue();
        estimate.Scores.abs().max().ToDouble().Should().BeLessThan(1e-12);
    }

    [Fact]
    public void Estimate_KeepsBatchNormInEvaluation_AndLeavesModesAlone()
    {
        using var module = WhiteBoxMlp.Create();
        var before = module.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        var estimator = new McDropoutEstimator(new TorchModuleModel(module, OutputKind.MulticlassLogits), new McDropoutOptions { Passes = 5 });
        using var inputs = WhiteBoxMlp.Inputs();

        estimator.Estimate(inputs).Dispose();

        foreach (var (name, value) in module.state_dict())
        {
            value.allclose(before[name], rtol: 0, atol: 0).Should().BeTrue($"{name} must not change (batch norm stays in evaluation mode)");
            before[name].Dispose();
        }

        module.modules().Should().AllSatisfy(m => m.training.Should().BeFalse());
        estimator.DropoutLayers.Should().Equal("drop");
    }

    [Fact]
    public void Estimate_MatchesPyTorchWhereTheGeneratorDrawsTheSameMasks()
    {
        using var module = WhiteBoxMlp.Create();
        var estimator = new McDropoutEstimator(new TorchModuleModel(module, OutputKind.MulticlassLogits), new McDropoutOptions { Passes = 5, Seed = 0 });
        using var inputs = WhiteBoxMlp.Inputs();
        using var estimate = estimator.Estimate(inputs);
        using var expected = Golden.MatrixTensor(Golden.Load("whitebox.json").GetProperty("mcDropoutMean"));

        estimate.Probabilities.allclose(expected, rtol: 1e-10, atol: 1e-14).Should().BeTrue();
    }

    [Fact]
    public void Constructor_BlackBoxOrTorchScriptOrNoDropout_IsRefused()
    {
        using var script = TorchScriptModel.Load(Golden.PathOf("whitebox_mlp.pt"), OutputKind.MulticlassLogits);
        using var plain = nn.Sequential(nn.Flatten(), nn.Linear(36, 3));

        FluentActions.Invoking(() => new McDropoutEstimator(PublicInstances.Model())).Should().Throw<ArgumentException>()
            .WithParameterName("model").WithMessage("*WhiteBoxNetwork*DelegateModel*");
        FluentActions.Invoking(() => new McDropoutEstimator(script)).Should().Throw<ArgumentException>()
            .WithParameterName("model").WithMessage("*TorchScript*baked*");
        FluentActions.Invoking(() => new McDropoutEstimator(new TorchModuleModel(plain, OutputKind.MulticlassLogits))).Should().Throw<ArgumentException>()
            .WithParameterName("model").WithMessage("*at least one dropout layer*none*");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10_001)]
    public void Constructor_PassesOutOfRange_Throws(int passes)
    {
        using var module = WhiteBoxMlp.Create();

        FluentActions.Invoking(() => new McDropoutEstimator(new TorchModuleModel(module, OutputKind.MulticlassLogits), new McDropoutOptions { Passes = passes }))
            .Should().Throw<ArgumentException>().WithParameterName("options").WithMessage("*Passes must be in [2, 10000]*");
    }

    [Fact]
    public void RequirementsNameAndToString_DescribeTheEstimator()
    {
        using var module = WhiteBoxMlp.Create();
        var estimator = new McDropoutEstimator(new TorchModuleModel(module, OutputKind.MulticlassLogits));

        estimator.Requirements.Should().Be(Requirements.WhiteBoxNetwork);
        estimator.Name.Should().Be("MC dropout MutualInformation");
        estimator.ToString().Should().Be("McDropoutEstimator(K=20, seed=0, score=MutualInformation, layers=1)");
    }
}
