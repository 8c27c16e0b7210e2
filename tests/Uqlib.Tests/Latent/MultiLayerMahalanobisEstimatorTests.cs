using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Models;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

/// <summary>The estimator over the reference CNN (Reference/multilayer_mahalanobis_reference.py), as a TorchScript file and as a TorchSharp module.</summary>
public sealed class MultiLayerMahalanobisEstimatorTests
{
    private static readonly string[] ScriptLayers = ["output1", "output2", "output3"];
    private static readonly string[] ModuleLayers = ["relu1", "relu2", "relu3"];
    private static readonly MahalanobisOptions Empirical = new() { Covariance = CovarianceMethod.Empirical };

    [Fact]
    public void DocsExample_RunsAsWritten()
    {
        // docs/latent-ood.md, "Multi-layer Mahalanobis": keep the two in step.
        using var scope = torch.NewDisposeScope();
        var module = nn.Sequential(
            ("layer2", nn.Conv2d(1, 4, 3, padding: 1)), ("layer3", nn.Conv2d(4, 6, 3, padding: 1)), ("avgpool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()), ("fc", nn.Linear(6, 3)));
        var model = new TorchModuleModel(module, OutputKind.MulticlassLogits);
        var generator = torch.manual_seed(3);
        Batch[] trainingBatches = [new(torch.randn(new long[] { 60, 1, 5, 5 }, generator: generator), torch.arange(60).remainder(3))];
        Batch[] validationBatches = [new(torch.randn(new long[] { 20, 1, 5, 5 }, generator: generator))];
        Batch[] oodValidationBatches = [new(torch.randn(new long[] { 20, 1, 5, 5 }, generator: generator).mul(3).add(1))];
        var testImages = torch.randn(new long[] { 4, 1, 5, 5 }, generator: generator);
        var path = Path.GetTempFileName();
        try
        {
            using var estimator = new MultiLayerMahalanobisEstimator(model, ["layer2", "layer3", "avgpool"]);
            estimator.Fit(new FitData { Training = trainingBatches });      // one streamed pass, float64 statistics per layer
            estimator.FitFeatureEnsemble(validationBatches, oodValidationBatches); // optional: Lee et al.'s weights
            using var estimate = estimator.Estimate(testImages);               // Scores (N) float64, higher = more OOD
            estimator.Save(path);                                              // every layer and the weights; Load gives identical scores

            estimate.Scores.shape.Should().Equal(4);
            estimate.Scores.dtype.Should().Be(ScalarType.Float64);
            estimator.Detector!.Dimensions.Should().Equal(4L, 6L, 6L);
            estimator.Detector.FeatureEnsemble.Should().NotBeNull();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Estimate_TorchScriptLayers_MatchesReferenceEqualAndEnsembleScores()
    {
        using var scope = torch.NewDisposeScope();
        var golden = Golden.Load("multilayer_mahalanobis.json");
        using var model = TorchScriptModel.Load(Golden.PathOf("multilayer_cnn.pt"), OutputKind.MulticlassLogits, new ModelOptions { MaxBatchSize = 7 });
        using var estimator = new MultiLayerMahalanobisEstimator(model, ScriptLayers, Empirical);

        estimator.Fit(TrainingData());
        var equal = estimator.Estimate(Input("test_inputs")).Scores;
        estimator.FitFeatureEnsemble([new Batch(Input("val_in_inputs"))], [new Batch(Input("val_out_inputs"))], golden.GetProperty("l2").GetDouble());
        var ensemble = estimator.Estimate(Input("test_inputs")).Scores;

        estimator.Detector!.Ranks.Should().Equal(6L, 13L, 4L);
        Golden.ToArray(equal).Should().Equal(Golden.Vector(golden.GetProperty("testEqual")), (a, b) => LatentCases.CloseRelative(a, b, MultiLayerMahalanobisDetectorTests.Tolerance));
        Golden.ToArray(ensemble).Should().Equal(Golden.Vector(golden.GetProperty("testEnsemble")), (a, b) => LatentCases.CloseRelative(a, b, MultiLayerMahalanobisDetectorTests.Tolerance));
    }

    [Fact]
    public void Estimate_TorchSharpModuleLayers_MatchesReferenceEqualScores()
    {
        using var scope = torch.NewDisposeScope();
        var golden = Golden.Load("multilayer_mahalanobis.json");
        var model = new TorchModuleModel(Cnn(), OutputKind.MulticlassLogits);
        using var estimator = new MultiLayerMahalanobisEstimator(model, ModuleLayers, Empirical);

        estimator.Fit(TrainingData());
        using var estimate = estimator.Estimate(Input("test_inputs"));

        Golden.ToArray(estimate.Scores).Should().Equal(
            Golden.Vector(golden.GetProperty("testEqual")), (a, b) => LatentCases.CloseRelative(a, b, MultiLayerMahalanobisDetectorTests.Tolerance));
        Golden.ToArray(estimate.Probabilities.log().flatten()).Should().HaveCount(90);
    }

    [Fact]
    public void Estimate_TorchSharpModule_TakesEveryLayerInOnePassAsTheModelComputesThem()
    {
        using var scope = torch.NewDisposeScope();
        var cnn = Cnn();
        var model = new TorchModuleModel(cnn, OutputKind.MulticlassLogits);
        var inputs = Input("test_inputs");

        var (output, widths) = ((IWhiteBoxModel)model).ForwardLayers(inputs, ["relu2", "conv1", "fc2"], globalAveragePooling: true);

        using (output)
        {
            widths.Should().Equal(16L, 8L, 3L);
            var modules = cnn.named_children().ToDictionary(c => c.name, c => (nn.Module<Tensor, Tensor>)c.module);
            using var noGrad = torch.no_grad();
            var conv1 = modules["conv1"].call(inputs);
            var relu2 = modules["relu2"].call(modules["conv2"].call(modules["relu1"].call(conv1)));
            var expected = torch.cat([relu2.mean([2, 3]), conv1.mean([2, 3]), cnn.call(inputs)], 1);
            Golden.ToArray(output.Features!.flatten()).Should().Equal(Golden.ToArray(expected.flatten()), (a, b) => Math.Abs(a - b) <= 1e-12);
        }
    }

    [Fact]
    public void Fit_ClassAgnostic_EachLayerIsTheClassAgnosticDetectorOfItsPooledFeatures()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TorchScriptModel.Load(Golden.PathOf("multilayer_cnn.pt"), OutputKind.MulticlassLogits);
        using var estimator = new MultiLayerMahalanobisEstimator(model, ScriptLayers, Empirical with { ClassAgnostic = true });

        estimator.Fit(new FitData { Training = [new Batch(Input("train_inputs"))] });
        var layerScores = estimator.Detector!.LayerScores(MultiLayerMahalanobisDetectorTests.Layers("test"));

        estimator.Name.Should().Be("Multi-layer Mahalanobis (class-agnostic)");
        for (var l = 0; l < 3; l++)
        {
            using var single = MahalanobisDetector.FitClassAgnostic(MultiLayerMahalanobisDetectorTests.Layers("train")[l], CovarianceMethod.Empirical);
            Golden.ToArray(layerScores.select(1, l)).Should().Equal(
                Golden.ToArray(single.Score(MultiLayerMahalanobisDetectorTests.Layers("test")[l])), (a, b) => LatentCases.CloseRelative(a, b, 1e-9));
        }
    }

    [Fact]
    public void Fit_UnlabelledBatch_ThrowsNamingTheBatch()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TorchScriptModel.Load(Golden.PathOf("multilayer_cnn.pt"), OutputKind.MulticlassLogits);
        using var estimator = new MultiLayerMahalanobisEstimator(model, ScriptLayers);

        var act = () => estimator.Fit(new FitData { Training = [new Batch(Input("train_inputs"))] });

        act.Should().Throw<ArgumentException>().WithParameterName("data").WithMessage("Multi-layer Mahalanobis needs labelled training batches (class indices); batch 0 has no labels.*");
        estimator.Detector.Should().BeNull();
    }

    [Fact]
    public void Constructor_DelegateModel_ThrowsNamingTheWhiteBoxRequirement()
    {
        var model = new DelegateModel(x => (x.flatten(1), x.flatten(1)), OutputKind.MulticlassLogits);

        var act = () => new MultiLayerMahalanobisEstimator(model, ["a"]);

        act.Should().Throw<ArgumentException>().WithParameterName("model").WithMessage("*WhiteBoxNetwork*DelegateModel*");
    }

    [Fact]
    public void Constructor_UnknownModuleLayer_ThrowsNamingItAndListingTheLayers()
    {
        var model = new TorchModuleModel(Cnn(), OutputKind.MulticlassLogits);

        var act = () => new MultiLayerMahalanobisEstimator(model, ["relu1", "relu4"]);

        act.Should().Throw<ArgumentException>().WithParameterName("layers")
            .WithMessage("layers 'relu4' is not a submodule; the submodules are: conv1, relu1, conv2, relu2, pool, flatten, fc1, relu3, fc2.*");
    }

    [Fact]
    public void Constructor_ScriptLayerNotAnOutput_ThrowsNamingTheOutputForm()
    {
        using var model = TorchScriptModel.Load(Golden.PathOf("multilayer_cnn.pt"), OutputKind.MulticlassLogits);

        var act = () => new MultiLayerMahalanobisEstimator(model, ["output1", "relu2"]);

        act.Should().Throw<ArgumentException>().WithParameterName("layers").WithMessage("layers 'relu2' is not a layer of the TorchScript module *output1, output2, …*");
    }

    [Fact]
    public void Fit_ScriptOutputBeyondTheTuple_ThrowsNamingTheOutputsThereAre()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TorchScriptModel.Load(Golden.PathOf("multilayer_cnn.pt"), OutputKind.MulticlassLogits);
        using var estimator = new MultiLayerMahalanobisEstimator(model, ["output1", "output4"]);

        var act = () => estimator.Fit(TrainingData());

        act.Should().Throw<InvalidOperationException>().WithMessage("*has no layer 'output4': its forward returned 3 output(s) after the logits (output1 … output3).");
    }

    [Theory]
    [InlineData(new string[0], "layers is empty*")]
    [InlineData(new[] { "relu1", "relu1" }, "layers names 'relu1' 2 times*")]
    public void Constructor_EmptyOrRepeatedLayers_Throws(string[] layers, string message)
    {
        var model = new TorchModuleModel(Cnn(), OutputKind.MulticlassLogits);

        var act = () => new MultiLayerMahalanobisEstimator(model, layers);

        act.Should().Throw<ArgumentException>().WithParameterName("layers").WithMessage(message);
    }

    [Fact]
    public void SaveLoad_RoundTrip_ScoresBitForBit()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TorchScriptModel.Load(Golden.PathOf("multilayer_cnn.pt"), OutputKind.MulticlassLogits);
        using var estimator = new MultiLayerMahalanobisEstimator(model, ScriptLayers, Empirical);
        estimator.Fit(TrainingData());
        estimator.FitFeatureEnsemble([new Batch(Input("val_in_inputs"))], [new Batch(Input("val_out_inputs"))]);
        using var other = new MultiLayerMahalanobisEstimator(model, ScriptLayers, Empirical);

        SavedFiles.RoundTrip(estimator.Save, path =>
        {
            other.Load(path);
            return 0;
        });

        Golden.ToArray(other.Estimate(Input("test_inputs")).Scores).Should().Equal(Golden.ToArray(estimator.Estimate(Input("test_inputs")).Scores));
    }

    [Fact]
    public void Load_FitOfAnotherLayerCount_ThrowsAndKeepsTheCurrentFit()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TorchScriptModel.Load(Golden.PathOf("multilayer_cnn.pt"), OutputKind.MulticlassLogits);
        using var estimator = new MultiLayerMahalanobisEstimator(model, ScriptLayers, Empirical);
        estimator.Fit(TrainingData());
        using var narrower = new MultiLayerMahalanobisEstimator(model, ["output1", "output2"], Empirical);
        narrower.Fit(TrainingData());
        var before = Golden.ToArray(narrower.Estimate(Input("test_inputs")).Scores);

        var act = () => SavedFiles.RoundTrip(estimator.Save, path =>
        {
            narrower.Load(path);
            return 0;
        });

        act.Should().Throw<ArgumentException>().WithMessage("The file holds 3 class-conditional layer(s); this estimator is Multi-layer Mahalanobis over 2 layer(s).*");
        Golden.ToArray(narrower.Estimate(Input("test_inputs")).Scores).Should().Equal(before);
    }

    [Fact]
    public void Members_AfterDispose_ThrowObjectDisposedException()
    {
        using var scope = torch.NewDisposeScope();
        var model = new TorchModuleModel(Cnn(), OutputKind.MulticlassLogits);
        var estimator = new MultiLayerMahalanobisEstimator(model, ModuleLayers, Empirical);
        estimator.Fit(TrainingData());
        estimator.Dispose();

        estimator.Invoking(e => e.Estimate(Input("test_inputs"))).Should().Throw<ObjectDisposedException>();
        estimator.Invoking(e => e.Fit(TrainingData())).Should().Throw<ObjectDisposedException>();
        estimator.Invoking(e => e.Detector).Should().Throw<ObjectDisposedException>();
        estimator.Invoking(e => e.Save("unused.uqlib")).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void FitFeatureEnsemble_BeforeFit_ThrowsNamingFit()
    {
        using var scope = torch.NewDisposeScope();
        using var estimator = new MultiLayerMahalanobisEstimator(new TorchModuleModel(Cnn(), OutputKind.MulticlassLogits), ModuleLayers);

        var act = () => estimator.FitFeatureEnsemble([new Batch(Input("val_in_inputs"))], [new Batch(Input("val_out_inputs"))]);

        act.Should().Throw<InvalidOperationException>().WithMessage("*call Fit*");
    }

    /// <summary>The reference CNN as a TorchSharp module: the same named layers, its float64 weights.</summary>
    private static nn.Module<Tensor, Tensor> Cnn()
    {
        var cnn = nn.Sequential(
            ("conv1", nn.Conv2d(1, 8, 3, padding: 1)),
            ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(8, 16, 3, padding: 1)),
            ("relu2", nn.ReLU()),
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()),
            ("fc1", nn.Linear(16, 12)),
            ("relu3", nn.ReLU()),
            ("fc2", nn.Linear(12, 3)));
        cnn.to(ScalarType.Float64);
        var state = cnn.state_dict();
        using (torch.no_grad())
        {
            foreach (var entry in Golden.Load("multilayer_mahalanobis.json").GetProperty("state").EnumerateObject())
            {
                using var value = GoldenArrays.Tensor(entry.Value);
                state[entry.Name].copy_(value);
            }
        }

        cnn.eval();
        return cnn;
    }

    private static Tensor Input(string name) => MultiLayerMahalanobisDetectorTests.Array(name);

    private static FitData TrainingData() => new() { Training = [new Batch(Input("train_inputs"), Input("train_labels"))] };
}
