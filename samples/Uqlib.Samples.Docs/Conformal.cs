using System;
using System.Collections.Generic;
using TorchSharp;
using Uqlib.Conformal;
using Uqlib.Models;
using Uqlib.Plotting;
using static TorchSharp.torch;

namespace Uqlib.Samples.Docs;

/// <summary>The examples of docs/conformal.md: one per task (classification sets, the estimator, risk control, CQR, clusters).</summary>
internal static class Conformal
{
    public static void Run()
    {
        var generator = torch.manual_seed(16);
        using var logits = torch.randn(3000, 4, generator: generator).mul_(2);       // a 4-class model's outputs …
        using var probabilities = logits.softmax(1);
        using var labels = probabilities.multinomial(1, generator: generator).squeeze(1); // … and labels it is calibrated for
        using var calibrationProbabilities = probabilities.narrow(0, 0, 1000);
        using var calibrationLabels = labels.narrow(0, 0, 1000);
        using var testProbabilities = probabilities.narrow(0, 1000, 2000);
        using var testLabels = labels.narrow(0, 1000, 2000);
        using var patients = torch.arange(1000).div(5, rounding_mode: RoundingMode.floor); // five slices per patient

        Sets(calibrationProbabilities, calibrationLabels, testProbabilities, testLabels);
        Estimator(logits, labels);
        RiskControl(generator);
        Cqr(generator);
        Clusters(calibrationProbabilities, calibrationLabels, patients, testProbabilities, testLabels);
    }

    private static void Sets(Tensor calibrationProbabilities, Tensor calibrationLabels, Tensor testProbabilities, Tensor testLabels)
    {
        #region docs:conformal-sets
        var options = new ConformalSetOptions { Score = SetScore.Aps, Randomized = true, Seed = 7 };
        var classifier = ConformalClassifier.Fit(calibrationProbabilities, calibrationLabels, options);
        foreach (var alpha in new[] { 0.05, 0.1, 0.2 })                         // one fit, any level
        {
            using var sets = classifier.Predict(testProbabilities, alpha);       // sets.Sets: (N, C) booleans
            Console.WriteLine($"α = {alpha}: coverage {sets.Coverage(testLabels):P1}, mean size {sets.MeanSize():F2}");
            foreach (var stratum in sets.SizeStratifiedCoverage(testLabels))
            {
                Console.WriteLine($"  size {stratum.Value}: {stratum.Count} cases, coverage {stratum.Coverage:P1}");
            }
        }

        classifier.Save("conformal-sets.json");
        #endregion

        #region docs:conformal-coverage-plot
        var lac = ConformalClassifier.Fit(calibrationProbabilities, calibrationLabels);
        double[] levels = [0.3, 0.2, 0.1, 0.05, 0.02];
        var curves = new Dictionary<string, IReadOnlyList<CoveragePoint>>
        {
            ["LAC"] = lac.CoverageCurve(testProbabilities, testLabels, levels),
            ["APS, randomised"] = classifier.CoverageCurve(testProbabilities, testLabels, levels),
        };
        using var chart = ConformalCoverageChart.Create(curves);                 // empirical against nominal coverage
        chart.Save("conformal-coverage.png");
        #endregion
    }

    private static void Estimator(Tensor logits, Tensor labels)
    {
        #region docs:conformal-estimator
        var model = new DelegateModel(x => x.alias(), OutputKind.MulticlassLogits);      // any IModel
        var estimator = new ConformalEstimator(model, alpha: 0.1);
        estimator.Fit(new FitData { Validation = [new Batch(logits.narrow(0, 0, 1000), labels.narrow(0, 0, 1000))] });
        using var estimate = estimator.Estimate(logits.narrow(0, 1000, 2000));        // Scores = set sizes
        Console.WriteLine($"{estimator.Name}: {estimate.Scores.eq(1).sum().item<long>()} of 2000 cases get one class");
        #endregion
    }

    private static void RiskControl(Generator generator)
    {
        using var truth = torch.rand(new long[] { 200, 32, 32 }, generator: generator).lt(0.2);
        using var maps = torch.where(truth, torch.rand(new long[] { 200, 32, 32 }, generator: generator).mul(0.6).add(0.4),
            torch.rand(new long[] { 200, 32, 32 }, generator: generator).mul(0.6));
        using var calibrationMaps = maps.narrow(0, 0, 100);
        using var calibrationMasks = truth.narrow(0, 0, 100);
        using var testMaps = maps.narrow(0, 100, 100);

        #region docs:conformal-risk-control
        // Foreground probability maps (N, H, W) or (N, D, H, W) and true masks of the same shape.
        var control = ConformalRiskControl.Fit(calibrationMaps, calibrationMasks);   // per-image false-negative rate
        var threshold = control.Threshold(alpha: 0.1);                               // exact, over every calibration value
        using var masks = control.Predict(testMaps, alpha: 0.1);                     // p ≥ t̂: misses ≤ 10% of the foreground on average
        Console.WriteLine($"t̂ = {threshold:F4} (λ̂ = {1 - threshold:F4}), {masks.sum().item<long>()} voxels kept");
        control.Save("risk-control.json");
        #endregion
    }

    private static void Cqr(Generator generator)
    {
        using var x = torch.rand(new long[] { 2000 }, ScalarType.Float64, generator: generator);
        using var y = torch.randn(new long[] { 2000 }, ScalarType.Float64, generator: generator).mul(x.add(0.1)).add(x.mul(3));
        using var lower = x.mul(3).sub(x.add(0.1));                                  // a quantile model's 16th and 84th percentiles
        using var upper = x.mul(3).add(x.add(0.1));

        #region docs:conformal-cqr
        var cqr = ConformalizedQuantileRegression.Fit(lower[..1000], upper[..1000], y[..1000]);
        using var intervals = cqr.Predict(lower[1000..], upper[1000..], alpha: 0.1);  // [lo − q̂, hi + q̂]
        Console.WriteLine($"margin {cqr.Margin(0.1):F3}: coverage {intervals.Coverage(y[1000..]):P1}, width {intervals.MeanWidth():F2}");
        #endregion
    }

    private static void Clusters(Tensor calibrationProbabilities, Tensor calibrationLabels, Tensor patients, Tensor testProbabilities, Tensor testLabels)
    {
        using var testPatients = torch.arange(2000).div(5, rounding_mode: RoundingMode.floor);

        #region docs:conformal-clusters
        // One calibration score per patient (a seeded random slice): exchangeable between patients, not slices.
        var perPatient = ConformalClassifier.Fit(calibrationProbabilities, calibrationLabels,
            new ConformalSetOptions { ClusterCalibration = ClusterCalibration.RandomCase }, clusters: patients);
        using var sets = perPatient.Predict(testProbabilities, alpha: 0.1);
        var coverage = sets.ClusterCoverage(testLabels, testPatients);
        Console.WriteLine($"{perPatient.CalibrationCount} patients: per-patient coverage {coverage.MeanCoverage:P1}, "
            + $"all slices covered for {coverage.AllCoveredShare:P1}");
        #endregion
    }
}
