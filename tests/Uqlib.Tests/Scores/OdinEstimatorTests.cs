using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Models;
using Uqlib.Scores;
using Uqlib.Tests.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Scores;

public sealed class OdinEstimatorTests
{
    [Theory]
    [InlineData(1000.0, 0.0014, "odin")]
    [InlineData(10.0, 0.05, "odinT10Eps005")]
    [InlineData(1.0, 0.0, "odinT1Eps0")]
    public void Estimate_TorchModule_MatchesAuthorsCode(double temperature, double noise, string key)
    {
        using var module = WhiteBoxMlp.Create();
        var model = new TorchModuleModel(module, OutputKind.MulticlassLogits);
        var estimator = new OdinEstimator(model, new OdinOptions { Temperature = temperature, Noise = noise });
        using var inputs = WhiteBoxMlp.Inputs();
        using var estimate = estimator.Estimate(inputs);

        estimate.Scores.dtype.Should().Be(ScalarType.Float64);
        WhiteBoxGolden.Close(Golden.ToArray(estimate.Scores), WhiteBoxGolden.Expected(key), 1e-12).Should().BeTrue();
        using var output = model.Forward(inputs);
        using var expected = output.Logits.softmax(1);
        estimate.Probabilities.allclose(expected, rtol: 1e-12, atol: 1e-15).Should().BeTrue("the probabilities are the unperturbed prediction");
    }

    [Fact]
    public void Estimate_TorchScript_MatchesAuthorsCode()
    {
        using var model = TorchScriptModel.Load(Golden.PathOf("whitebox_mlp.pt"), OutputKind.MulticlassLogits);
        var estimator = new OdinEstimator(model);
        using var inputs = WhiteBoxMlp.Inputs();
        using var estimate = estimator.Estimate(inputs);

        WhiteBoxGolden.Close(Golden.ToArray(estimate.Scores), WhiteBoxGolden.Expected("odin"), 1e-12).Should().BeTrue();
    }

    [Fact]
    public void Estimate_InsideInferenceModeAndInChunks_GivesTheSameScores_AndLeavesParametersAlone()
    {
        using var module = WhiteBoxMlp.Create();
        var model = new TorchModuleModel(module, OutputKind.MulticlassLogits, null, new ModelOptions { MaxBatchSize = 3 });
        var estimator = new OdinEstimator(model);
        using var inputs = WhiteBoxMlp.Inputs();
        using var inference = torch.inference_mode();
        using var estimate = estimator.Estimate(inputs);

        WhiteBoxGolden.Close(Golden.ToArray(estimate.Scores), WhiteBoxGolden.Expected("odin"), 1e-12).Should().BeTrue();
        foreach (var parameter in module.parameters())
        {
            (parameter.grad is null).Should().BeTrue("autograd.grad does not accumulate into .grad");
        }

        module.training.Should().BeFalse();
    }

    [Fact]
    public void Constructor_DelegateModel_IsRefusedNamingTheRequirement()
    {
        var act = () => new OdinEstimator(PublicInstances.Model());

        act.Should().Throw<ArgumentException>().WithParameterName("model").WithMessage("*WhiteBoxNetwork*DelegateModel*black box*");
    }

    [Fact]
    public void Constructor_BinaryModel_IsRefused()
    {
        using var module = WhiteBoxMlp.Create();
        var model = new TorchModuleModel(module, OutputKind.BinaryLogit);

        FluentActions.Invoking(() => new OdinEstimator(model)).Should().Throw<ArgumentException>().WithMessage("*multiclass*");
    }

    [Theory]
    [InlineData(0.0, 0.001)]
    [InlineData(1000.0, -0.1)]
    [InlineData(double.NaN, 0.001)]
    public void Constructor_InvalidOptions_Throws(double temperature, double noise)
    {
        using var module = WhiteBoxMlp.Create();
        var model = new TorchModuleModel(module, OutputKind.MulticlassLogits);

        FluentActions.Invoking(() => new OdinEstimator(model, new OdinOptions { Temperature = temperature, Noise = noise }))
            .Should().Throw<ArgumentException>().WithParameterName("options").WithMessage("Invalid OdinOptions*");
    }

    [Fact]
    public void Estimate_IntegerInputs_Throws()
    {
        using var module = WhiteBoxMlp.Create();
        var estimator = new OdinEstimator(new TorchModuleModel(module, OutputKind.MulticlassLogits));
        using var inputs = torch.ones(new long[] { 2, 6 }, ScalarType.Int64);

        FluentActions.Invoking(() => estimator.Estimate(inputs)).Should().Throw<ArgumentException>().WithParameterName("inputs").WithMessage("*floating point*");
    }

    [Fact]
    public void RequirementsNameAndToString_DescribeTheEstimator()
    {
        using var module = WhiteBoxMlp.Create();
        var estimator = new OdinEstimator(new TorchModuleModel(module, OutputKind.MulticlassLogits));

        estimator.Requirements.Should().Be(Requirements.WhiteBoxNetwork);
        estimator.Name.Should().Be("ODIN");
        estimator.ToString().Should().Be("OdinEstimator(T=1000, eps=0.0014)");
    }
}
