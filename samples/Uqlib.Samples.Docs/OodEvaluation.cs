using System;
using System.Collections.Generic;
using Uqlib.Evaluation;
using Uqlib.Latent;
using Uqlib.Plotting;
using Uqlib.Scores;
using static TorchSharp.torch;

namespace Uqlib.Samples.Docs;

/// <summary>The example of docs/latent-ood.md, "Evaluating OOD detection": detectors compared on near and far OOD sets.</summary>
internal static class OodEvaluation
{
    public static void Run()
    {
        // A seeded stand-in for a network's penultimate features (F = 16) and its last layer: 4 classes, 2 000 training
        // cases, 1 000 in-distribution test cases, a near OOD set (a fifth class between two known ones) and a far one.
        var generator = manual_seed(17);
        using var scope = NewDisposeScope();
        var means = 1.5 * randn(5, 16, generator: generator);
        means[4] = 0.5 * (means[0] + means[1]) + 0.5 * randn(16, generator: generator);
        var weight = means[..4];
        Tensor Features(Tensor classes) => means.index_select(0, classes) + randn(classes.shape[0], 16, generator: generator);
        var trainLabels = randint(0, 4, new long[] { 2000 }, generator: generator);
        var trainFeatures = Features(trainLabels);
        var idFeatures = Features(randint(0, 4, new long[] { 1000 }, generator: generator));
        var nearFeatures = Features(full(500, 4L, dtype: ScalarType.Int64));
        var farFeatures = 0.5 * randn(500, 16, generator: generator) + 3;

        #region docs:latent-ood-evaluation
        using var mahalanobis = MahalanobisDetector.Fit(trainFeatures, trainLabels, classes: 4);
        using var knn = KnnDetector.Fit(trainFeatures, new KnnOptions { K = 10 });

        // Each detector's scores on one set (higher = more OOD).
        Dictionary<string, Tensor> Scores(Tensor features) => new()
        {
            ["MSP"] = SoftmaxScores.OneMinusMaxProbability(features.matmul(weight.t()).softmax(1)),
            ["Energy"] = SoftmaxScores.Energy(features.matmul(weight.t())),
            ["Mahalanobis"] = mahalanobis.Score(features),
            ["kNN"] = knn.Score(features),
        };

        var inDistribution = Scores(idFeatures);
        OodSet[] oodSets =
        [
            new("unseen class", OodShift.Near, Scores(nearFeatures)),
            new("other domain", OodShift.Far, Scores(farFeatures)),
        ];

        // AUROC, AUPR-In, AUPR-Out, FPR@95%TPR (OOD positive) with 1 000-resample bootstrap intervals.
        var table = OodEvaluator.Compare(inDistribution, oodSets);
        Console.WriteLine(table.ToText());

        // One detector on one set, and the ROC chart: its axes say "OOD cases flagged".
        var near = new Dictionary<string, OodDetectionResult>();
        foreach (var row in table.Rows)
        {
            if (row.Shift == OodShift.Near)
            {
                near[row.Detector] = row.Result;
            }
        }

        using var chart = RocCurvesChart.Create(near, new ChartOptions { Title = "Near OOD: unseen class" });
        chart.Save("ood-roc.png");
        #endregion

        if (!(table.Means[^1].Auroc > 0.9 && near["kNN"].Auroc > near["MSP"].Auroc - 0.2))
        {
            throw new InvalidOperationException("The OOD example no longer separates its sets: " + table.ToText());
        }
    }
}
