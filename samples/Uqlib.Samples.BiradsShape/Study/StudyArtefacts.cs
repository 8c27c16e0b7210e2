using System;
using System.Collections.Generic;
using System.IO;
using Uqlib.Augmentation;
using Uqlib.Calibration;
using Uqlib.Latent;
using Uqlib.Models;
using Uqlib.Samples.BiradsShape.Training;
using Uqlib.Scores;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>Where the fitted things of a run are saved, with the library's own persistence, under <c>artefacts/</c> of the report
/// folder: per configuration and fold model the network weights, the temperature, the Mahalanobis statistics and the kNN bank; per
/// configuration the z-score combiner and the test-time augmentation policy learned by greedy policy search (<see cref="TtaPolicy.Save"/>).</summary>
internal static class StudyArtefacts
{
    /// <summary>The artefacts' folder inside the report folder.</summary>
    internal const string Folder = "artefacts";

    internal static string ConfigurationKey(bool augmented) => augmented ? "with-augmentation" : "without-augmentation";

    internal static string ConfigurationFolder(string directory, string key) => Path.Combine(directory, Folder, key);

    internal static string FoldFolder(string directory, string key, int fold) => Path.Combine(ConfigurationFolder(directory, key), $"fold{fold + 1}");

    internal static string NetworkPath(string directory, string key, int fold) => Path.Combine(FoldFolder(directory, key, fold), "network.dat");

    internal static string TemperaturePath(string directory, string key, int fold) => Path.Combine(FoldFolder(directory, key, fold), "temperature.json");

    internal static string MahalanobisPath(string directory, string key, int fold) => Path.Combine(FoldFolder(directory, key, fold), "mahalanobis.bin");

    internal static string KnnPath(string directory, string key, int fold) => Path.Combine(FoldFolder(directory, key, fold), "knn.bin");

    internal static string CombinerPath(string directory, string key)
    {
        Directory.CreateDirectory(ConfigurationFolder(directory, key));
        return Path.Combine(ConfigurationFolder(directory, key), "zscore-combiner.json");
    }

    internal static string PolicyPath(string directory, string key)
    {
        Directory.CreateDirectory(ConfigurationFolder(directory, key));
        return Path.Combine(ConfigurationFolder(directory, key), "tta-policy.json");
    }

    /// <summary>Saves one fold model's network and fitted estimators.</summary>
    internal static void SaveFold(string directory, string key, int fold, ShapeNet network, IReadOnlyList<IUncertaintyEstimator> methods)
    {
        Directory.CreateDirectory(FoldFolder(directory, key, fold));
        network.save(NetworkPath(directory, key, fold));
        foreach (var method in methods)
        {
            switch (method)
            {
                case SoftmaxEstimator { Calibrator: TemperatureScaling temperature }:
                    temperature.Save(TemperaturePath(directory, key, fold));
                    break;
                case MahalanobisEstimator mahalanobis:
                    mahalanobis.Save(MahalanobisPath(directory, key, fold));
                    break;
                case KnnEstimator knn:
                    knn.Save(KnnPath(directory, key, fold));
                    break;
            }
        }
    }

    /// <summary>Loads one fold model's network and its fitted estimators: the calibrated softmax estimator, Mahalanobis and kNN.</summary>
    /// <returns>The network (the caller disposes it) and the estimators (the caller disposes the latent ones).</returns>
    internal static (ShapeNet Network, IModel Model, SoftmaxEstimator Calibrated, MahalanobisEstimator Mahalanobis, KnnEstimator Knn) LoadFold(
        string directory, string key, int fold, int imageSize)
    {
        var network = new ShapeNet(imageSize);
        network.load(NetworkPath(directory, key, fold));
        network.eval();
        var model = new TorchModuleModel(network, OutputKind.MulticlassLogits, ShapeNet.FeatureLayer, new ModelOptions { MaxBatchSize = 256 });
        var calibrated = new SoftmaxEstimator(model, Scores.SoftmaxScore.DistanceToHardLabel, TemperatureScaling.Load(TemperaturePath(directory, key, fold)));
        var mahalanobis = new MahalanobisEstimator(model);
        mahalanobis.Load(MahalanobisPath(directory, key, fold));
        var knn = new KnnEstimator(model);
        knn.Load(KnnPath(directory, key, fold));
        return (network, model, calibrated, mahalanobis, knn);
    }
}
