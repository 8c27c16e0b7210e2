using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Interop;
using Uqlib.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

/// <summary>Golden values from Reference/multilayer_mahalanobis_reference.py: a float64 CNN with dead units, three layers, NumPy/SciPy pinvh statistics.</summary>
public sealed class MultiLayerMahalanobisDetectorTests
{
    internal const double Tolerance = 1e-9;

    [Fact]
    public void Fit_CnnLayersWithDeadUnits_MatchesNumPyLayerScoresAndEqualWeights()
    {
        using var scope = torch.NewDisposeScope();
        var golden = Golden.Load("multilayer_mahalanobis.json");
        using var detector = MultiLayerMahalanobisDetector.Fit(Layers("train"), Array("train_labels"), 3, CovarianceMethod.Empirical);

        var layerScores = detector.LayerScores(Layers("test"));
        var scores = detector.Score(Layers("test"));

        detector.Ranks.Should().Equal(golden.GetProperty("ranks").EnumerateArray().Select(r => r.GetInt64()));
        detector.Dimensions.Should().Equal(8L, 16L, 12L);
        layerScores.dtype.Should().Be(ScalarType.Float64);
        Golden.ToArray(layerScores.flatten()).Should().Equal(
            GoldenArrays.Flat(golden.GetProperty("testLayerScores")), (a, b) => LatentCases.CloseRelative(a, b, Tolerance));
        Golden.ToArray(scores).Should().Equal(Golden.Vector(golden.GetProperty("testEqual")), (a, b) => LatentCases.CloseRelative(a, b, Tolerance));
    }

    [Fact]
    public void WithFeatureEnsemble_ReferenceValidationScores_MatchesLogisticWeightsAndScores()
    {
        using var scope = torch.NewDisposeScope();
        var golden = Golden.Load("multilayer_mahalanobis.json");
        using var detector = MultiLayerMahalanobisDetector.Fit(Layers("train"), Array("train_labels"), 3, CovarianceMethod.Empirical);
        var validation = Array("val_layer_scores");

        using var weighted = detector.WithFeatureEnsemble(validation.narrow(0, 0, 40), validation.narrow(0, 40, 40), golden.GetProperty("l2").GetDouble());
        var scores = weighted.Score(Layers("test"));

        var ensemble = weighted.FeatureEnsemble!;
        ensemble.Intercept.Should().BeApproximately(golden.GetProperty("ensembleIntercept").GetDouble(), Tolerance);
        new[] { ensemble.Weights["layer0"], ensemble.Weights["layer1"], ensemble.Weights["layer2"] }.Should().Equal(
            Golden.Vector(golden.GetProperty("ensembleWeights")), (a, b) => LatentCases.CloseRelative(a, b, Tolerance));
        Golden.ToArray(scores).Should().Equal(Golden.Vector(golden.GetProperty("testEnsemble")), (a, b) => LatentCases.CloseRelative(a, b, Tolerance));
        detector.FeatureEnsemble.Should().BeNull("WithFeatureEnsemble returns a new detector and leaves this one unchanged");
    }

    [Fact]
    public void WithFeatureEnsemble_SeparatedValidation_RanksOodAboveInDistribution()
    {
        using var scope = torch.NewDisposeScope();
        using var detector = MultiLayerMahalanobisDetector.Fit(Layers("train"), Array("train_labels"), 3, CovarianceMethod.Empirical);
        var validation = Array("val_layer_scores");
        using var weighted = detector.WithFeatureEnsemble(validation.narrow(0, 0, 40), validation.narrow(0, 40, 40));

        var scores = Golden.ToArray(weighted.Score(Layers("test")));

        // The test set is 15 in-distribution then 15 OOD images; the reference separates them.
        LatentCases.Auroc(scores[..15], scores[15..]).Should().BeGreaterThan(0.9);
    }

    [Fact]
    public void Combine_LayerScores_EqualsScore()
    {
        using var scope = torch.NewDisposeScope();
        using var detector = MultiLayerMahalanobisDetector.Fit(Layers("train"), Array("train_labels"), 3, CovarianceMethod.Empirical);

        var combined = detector.Combine(detector.LayerScores(Layers("test")));

        Golden.ToArray(combined).Should().Equal(Golden.ToArray(detector.Score(Layers("test"))));
    }

    [Fact]
    public void Layer_ReturnsAnIndependentCopyOfTheLayersDetector()
    {
        using var scope = torch.NewDisposeScope();
        using var detector = MultiLayerMahalanobisDetector.Fit(Layers("train"), Array("train_labels"), 3, CovarianceMethod.Empirical);
        var test = Layers("test");
        var expected = Golden.ToArray(detector.LayerScores(test).select(1, 1));

        var layer = detector.Layer(1);
        var scores = Golden.ToArray(layer.Score(test[1]));
        layer.Dispose();

        scores.Should().Equal(expected);
        Golden.ToArray(detector.LayerScores(test).select(1, 1)).Should().Equal(expected, "disposing the copy leaves the detector whole");
        var act = () => detector.Layer(3);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("index");
    }

    [Fact]
    public void SaveLoad_WithFeatureEnsemble_ScoresBitForBit()
    {
        using var scope = torch.NewDisposeScope();
        using var detector = MultiLayerMahalanobisDetector.Fit(Layers("train"), Array("train_labels"), 3, CovarianceMethod.Empirical);
        var validation = Array("val_layer_scores");
        using var weighted = detector.WithFeatureEnsemble(validation.narrow(0, 0, 40), validation.narrow(0, 40, 40));

        using var loaded = SavedFiles.RoundTrip(weighted.Save, MultiLayerMahalanobisDetector.Load);

        Golden.ToArray(loaded.Score(Layers("test"))).Should().Equal(Golden.ToArray(weighted.Score(Layers("test"))));
        loaded.ToString().Should().Be(weighted.ToString());
        loaded.FeatureEnsemble!.Weights.Should().Equal(weighted.FeatureEnsemble!.Weights);
    }

    [Fact]
    public void ToString_DescribesLayersRanksAndWeights()
    {
        using var scope = torch.NewDisposeScope();
        using var detector = MultiLayerMahalanobisDetector.Fit(Layers("train"), Array("train_labels"), 3, CovarianceMethod.Empirical);

        detector.ToString().Should().Be("MultiLayerMahalanobisDetector(layers=3, dimensions=[8, 16, 12], ranks=[6, 13, 4], weights=equal)");
        detector.Dispose();
        detector.ToString().Should().Be("MultiLayerMahalanobisDetector(disposed)");
    }

    [Fact]
    public void Members_AfterDispose_ThrowObjectDisposedException()
    {
        using var scope = torch.NewDisposeScope();
        var detector = MultiLayerMahalanobisDetector.Fit(Layers("train"), Array("train_labels"), 3, CovarianceMethod.Empirical);
        var test = Layers("test");
        detector.Dispose();

        detector.Invoking(d => d.Score(test)).Should().Throw<ObjectDisposedException>();
        detector.Invoking(d => d.LayerScores(test)).Should().Throw<ObjectDisposedException>();
        detector.Invoking(d => d.Ranks).Should().Throw<ObjectDisposedException>();
        detector.Invoking(d => d.Layer(0)).Should().Throw<ObjectDisposedException>();
        detector.Invoking(d => d.Save("unused.uqlib")).Should().Throw<ObjectDisposedException>();
        detector.Invoking(d => d.Dispose()).Should().NotThrow();
    }

    [Fact]
    public void Score_DoesNotLeakTensors()
    {
        using var scope = torch.NewDisposeScope();
        using var detector = MultiLayerMahalanobisDetector.Fit(Layers("train"), Array("train_labels"), 3, CovarianceMethod.Empirical);
        var test = Layers("test");
        var before = LiveTensors.Count;

        detector.Score(test).Dispose();
        detector.LayerScores(test).Dispose();

        LiveTensors.Count.Should().Be(before);
    }

    [Fact]
    public void Score_WrongNumberOfLayers_ThrowsNamingTheCount()
    {
        using var scope = torch.NewDisposeScope();
        using var detector = MultiLayerMahalanobisDetector.Fit(Layers("train"), Array("train_labels"), 3, CovarianceMethod.Empirical);

        var act = () => detector.Score(Layers("test").Take(2).ToArray());

        act.Should().Throw<ArgumentException>().WithParameterName("features").WithMessage("features must hold one feature tensor per layer (3); found 2.*");
    }

    [Fact]
    public void Score_LayerOfAnotherDimension_ThrowsNamingTheLayer()
    {
        using var scope = torch.NewDisposeScope();
        using var detector = MultiLayerMahalanobisDetector.Fit(Layers("train"), Array("train_labels"), 3, CovarianceMethod.Empirical);
        var test = Layers("test");

        var act = () => detector.Score([test[0], test[2], test[1]]);

        act.Should().Throw<ArgumentException>().WithMessage("features[1] must have dimension 16, as layer 1's training features had; found shape (30, 12).*");
    }

    [Fact]
    public void Score_NonFiniteLayer_ThrowsNamingTheLayer()
    {
        using var scope = torch.NewDisposeScope();
        using var detector = MultiLayerMahalanobisDetector.Fit(Layers("train"), Array("train_labels"), 3, CovarianceMethod.Empirical);
        var test = Layers("test");
        test[2] = test[2].clone();
        test[2][3, 1] = torch.tensor(double.NaN);

        var act = () => detector.Score(test);

        act.Should().Throw<ArgumentException>().WithMessage("features[2] has 1 NaN*");
    }

    [Fact]
    public void Fit_LayersOfDifferentSampleCounts_Throws()
    {
        using var scope = torch.NewDisposeScope();
        var train = Layers("train");

        var act = () => MultiLayerMahalanobisDetector.Fit([train[0], train[1].narrow(0, 0, 60)], Array("train_labels"), 3);

        act.Should().Throw<ArgumentException>().WithParameterName("features").WithMessage("features[1] has 60 samples but features[0] has 120*");
    }

    [Fact]
    public void Fit_NoLayer_Throws()
    {
        using var scope = torch.NewDisposeScope();

        var act = () => MultiLayerMahalanobisDetector.Fit([], Array("train_labels"), 3);

        act.Should().Throw<ArgumentException>().WithParameterName("features").WithMessage("*at least one*found 0*");
    }

    [Fact]
    public void WithFeatureEnsemble_ScoresOfAnotherWidth_Throws()
    {
        using var scope = torch.NewDisposeScope();
        using var detector = MultiLayerMahalanobisDetector.Fit(Layers("train"), Array("train_labels"), 3, CovarianceMethod.Empirical);
        var validation = Array("val_layer_scores");

        var act = () => detector.WithFeatureEnsemble(validation.narrow(1, 0, 2), validation);

        act.Should().Throw<ArgumentException>().WithParameterName("inDistributionLayerScores").WithMessage("*shape (N, 3); found shape (80, 2).*");
    }

    /// <summary>The reference's pooled features of one split, one tensor per layer, float64.</summary>
    internal static Tensor[] Layers(string split) =>
        Enumerable.Range(0, 3).Select(l => Array($"{split}_layer{l}")).ToArray();

    internal static Tensor Array(string name) => Npz.Read(Golden.PathOf("multilayer_mahalanobis.npz"), name);
}
