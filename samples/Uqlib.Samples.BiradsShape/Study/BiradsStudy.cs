using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Calibration;
using Uqlib.Combination;
using Uqlib.Ensembles;
using Uqlib.Evaluation;
using Uqlib.Latent;
using Uqlib.Samples.BiradsShape.Data;
using Uqlib.Samples.BiradsShape.Evaluation;
using Uqlib.Samples.BiradsShape.Labelling;
using Uqlib.Samples.BiradsShape.Training;
using Uqlib.Scores;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>The BI-RADS tumour-shape study end to end: synthetic patients, slice auto-labelling, 5-fold cross-validation by patient
/// with and without augmentation, an external domain-shifted test set, post-hoc uncertainty, and the report.</summary>
/// <remarks>
/// <para>Deterministic for a given <see cref="StudyOptions.Seed"/> on one thread. Every step is a method named after it.</para>
/// <para>Four groups of patients: the cross-validation cohort (the fold models are trained on it; the seed's table reports each fold
/// model on its held-out fold), the validation patients and the internal test patients (same scanner, never seen by any fold model),
/// and the external patients (another scanner). Every post-hoc fit (temperatures, the test-time augmentation policy, the z-score
/// combination) uses the validation patients only, so the internal test figures are unbiased.</para>
/// </remarks>
public static class BiradsStudy
{
    /// <summary>The name of the z-score combination in tables and files.</summary>
    public const string CombinationName = "Z-score combination";

    /// <summary>The name of the uncalibrated softmax score, the seed's baseline; it is left out of the combination because temperature
    /// scaling does not change its ranking within a model.</summary>
    public const string BaselineName = "DistanceToHardLabel";

    private static readonly ShapeLabeller Labeller = new();

    /// <summary>Runs the whole study and writes the report folder (see <see cref="StudyReportWriter"/>).</summary>
    /// <param name="options">The settings of the run.</param>
    /// <param name="progress">Receives one plain line per step, epoch and fold, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between steps and mini-batches.</param>
    /// <returns>Every number of the run.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is invalid, or the device is not available.</exception>
    /// <exception cref="InvalidOperationException">Too few slices of one class survive the labelling to train and test.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static StudyResult Run(StudyOptions options, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var device = ResolveDevice(options.Device);
        Directory.CreateDirectory(options.OutputDirectory);

        progress?.Report($"Generating {options.Patients} internal patients ({options.VolumeSize}³ voxels) and labelling their slices");
        using var labelledInternal = PrepareData(options.Patients, ScannerProfile.Internal, options, options.Seed);
        cancellationToken.ThrowIfCancellationRequested();
        progress?.Report($"Generating {options.ValidationPatients} validation and {options.TestPatients} internal test patients (same scanner, held out from every fold model)");
        using var validationSet = PrepareHeldOut(options.ValidationPatients, options, ValidationSeed(options));
        using var testSet = PrepareHeldOut(options.TestPatients, options, TestSeed(options));
        cancellationToken.ThrowIfCancellationRequested();
        progress?.Report($"Generating {options.ExternalPatients} external patients (another scanner) and labelling their slices");
        using var externalSet = PrepareData(options.ExternalPatients, ScannerProfile.External, options, ExternalSeed(options));
        var patientFolds = PatientFolds.Assign(labelledInternal.PatientShapes, options.Folds, options.Seed + 2);
        using var internalSet = BalancePerFold(labelledInternal, patientFolds, options.Folds, options.Seed + 3);
        RequireBothClasses(internalSet, "internal");
        RequireBothClasses(validationSet, "validation");
        RequireBothClasses(testSet, "internal test");
        RequireBothClasses(externalSet, "external");
        var sliceFolds = new int[internalSet.Slices.Count];
        for (var i = 0; i < sliceFolds.Length; i++)
        {
            sliceFolds[i] = patientFolds[internalSet.Slices.Patients[i]];
        }

        var internalSummary = internalSet.Summary with { Folds = CountPerFold(internalSet.Labels, sliceFolds, options.Folds) };
        progress?.Report(string.Create(CultureInfo.InvariantCulture,
            $"Internal: {internalSet.Slices.Count} slices used ({internalSummary.Used.Round} round, {internalSummary.Used.Irregular} irregular, {internalSummary.Ambiguous} ambiguous set aside); " +
            $"validation: {validationSet.Slices.Count}; internal test: {testSet.Slices.Count}; " +
            $"external: {externalSet.Slices.Count} ({externalSet.Summary.Used.Round} round, {externalSet.Summary.Used.Irregular} irregular)"));

        var data = new StudyData(internalSet, sliceFolds, validationSet, testSet, externalSet);
        var predictions = new PredictionTable();
        var configurations = new List<ConfigurationResult>();
        foreach (var augmented in new[] { false, true })
        {
            configurations.Add(RunConfiguration(augmented, data, options, device, predictions, progress, cancellationToken));
        }

        var result = new StudyResult(options, internalSummary, validationSet.Summary, testSet.Summary, externalSet.Summary, configurations);
        StudyReportWriter.Write(result, predictions.Lines, options.OutputDirectory);
        progress?.Report($"Report written to {options.OutputDirectory}");
        return result;
    }

    /// <summary>The post-hoc methods applied to each fold model on its own: each is fitted on the fold's <see cref="FitData"/>
    /// (the model's training slices, and the validation patients) and scores the validation, internal test and external slices.</summary>
    /// <remarks>The uncalibrated softmax score (the seed's), the same score after temperature scaling, test-time augmentation with
    /// <paramref name="policy"/> (mutual information and predictive entropy), and Mahalanobis (default options) and kNN on the
    /// <see cref="ShapeNet.FeatureLayer"/> features. The caller disposes the estimators that are <see cref="IDisposable"/>.</remarks>
    /// <param name="model">One fold model, exposing its penultimate features.</param>
    /// <param name="policy">The test-time augmentation policy learned by greedy policy search; its temperature calibrates the averaged prediction.</param>
    /// <returns>The estimators, in report order; the second is the calibrated softmax estimator.</returns>
    internal static IReadOnlyList<IUncertaintyEstimator> SingleModelMethods(IModel model, TtaPolicy policy)
    {
        var tta = new TtaOptions { MaxAugmentedBatchSize = 1024 };
        var calibrator = policy.CreateCalibrator(classes: 2);
        return new IUncertaintyEstimator[]
        {
            new SoftmaxEstimator(model, SoftmaxScore.DistanceToHardLabel),
            new SoftmaxEstimator(model, SoftmaxScore.DistanceToHardLabel, TemperatureScaling.Fit),
            new TestTimeAugmentationEstimator(model, policy, EnsembleScore.MutualInformation, calibrator, tta),
            new TestTimeAugmentationEstimator(model, policy, EnsembleScore.PredictiveEntropy, calibrator, tta),
            new MahalanobisEstimator(model),
            new KnnEstimator(model),
        };
    }

    /// <summary>The methods over all fold models at once: the 5-fold sub-ensemble, by mutual information and by predictive entropy.</summary>
    /// <param name="models">The fold models.</param>
    /// <returns>The estimators, in report order.</returns>
    internal static IReadOnlyList<IUncertaintyEstimator> EnsembleMethods(IReadOnlyList<IModel> models)
    {
        return new IUncertaintyEstimator[]
        {
            new DeepEnsembleEstimator(models, EnsembleScore.MutualInformation),
            new DeepEnsembleEstimator(models, EnsembleScore.PredictiveEntropy),
        };
    }

    /// <summary>Summarises how one method's scores separate failures from correct predictions: the mean score of each group.</summary>
    /// <param name="method">The method's name.</param>
    /// <param name="set">The set's name.</param>
    /// <param name="scores">One score per prediction, higher = more uncertain.</param>
    /// <param name="failures">Whether each prediction is misclassified.</param>
    /// <returns>The summary.</returns>
    internal static UncertaintySummary SummariseFailureDetection(string method, string set, IReadOnlyList<double> scores, IReadOnlyList<bool> failures)
    {
        double failedSum = 0, correctSum = 0;
        int failed = 0, correct = 0;
        for (var i = 0; i < scores.Count; i++)
        {
            if (failures[i])
            {
                failedSum += scores[i];
                failed++;
            }
            else
            {
                correctSum += scores[i];
                correct++;
            }
        }

        return new UncertaintySummary(
            method, set, scores.Count, failed, correct == 0 ? double.NaN : correctSum / correct, failed == 0 ? double.NaN : failedSum / failed);
    }

    /// <summary>Compares every method as a failure detector on one set with <see cref="RocEvaluator.Compare(IReadOnlyDictionary{string, Tensor}, Tensor, RocOptions?)"/>: AUROC with DeLong's
    /// interval, AUPR, FPR@95%TPR, AURC, E-AURC and the paired test against the best.</summary>
    /// <param name="set">The set's name.</param>
    /// <param name="cases">The set's cases, every method scored.</param>
    /// <returns>The table.</returns>
    /// <exception cref="ArgumentException">The cases hold no failure or no success.</exception>
    internal static FailureDetectionTable CompareFailureDetection(string set, CaseTable cases)
    {
        var scores = cases.ScoreTensors(cases.Methods);
        try
        {
            using var failures = cases.FailureTensor();
            var comparison = RocEvaluator.Compare(scores, failures);
            var results = new Dictionary<string, FailureDetectionResult>(StringComparer.Ordinal);
            foreach (var method in cases.Methods)
            {
                results[method] = RocEvaluator.Evaluate(scores[method], failures);
            }

            return new FailureDetectionTable(set, comparison.Cases, comparison.Failures, comparison.Rows, comparison, results, Array.Empty<string>());
        }
        finally
        {
            foreach (var tensor in scores.Values)
            {
                tensor.Dispose();
            }
        }
    }

    internal static int PolicySeed(StudyOptions options, bool augmented) => options.Seed + (augmented ? 2000 : 200);

    internal static int ValidationSeed(StudyOptions options) => options.Seed + 104_729;

    internal static int TestSeed(StudyOptions options) => options.Seed + 130_363;

    internal static int ExternalSeed(StudyOptions options) => options.Seed + 7919;

    /// <summary>Trains the fold models of one configuration, reports the seed's table, then fits and scores every post-hoc method.</summary>
    private static ConfigurationResult RunConfiguration(
        bool augmented,
        StudyData data,
        StudyOptions options,
        Device device,
        PredictionTable predictions,
        IProgress<string>? progress,
        CancellationToken cancellationToken)
    {
        var name = augmented ? "with augmentation" : "without augmentation";
        var key = StudyArtefacts.ConfigurationKey(augmented);
        var trainingOptions = new TrainingOptions { Epochs = options.Epochs, Augment = augmented, Seed = options.Seed + (augmented ? 1000 : 100) };
        var epochProgress = progress is null
            ? null
            : new InlineProgress<(int Fold, TrainingProgress Epoch)>(p => progress.Report(string.Create(CultureInfo.InvariantCulture,
                $"  {name}, fold {p.Fold + 1}/{options.Folds}: epoch {p.Epoch.Epoch}/{p.Epoch.Epochs}, loss {p.Epoch.MeanLoss:F4}")));
        var internalSet = data.Internal;
        using var foldModels = CrossValidation.Train(
            internalSet.Slices.Images, internalSet.Labels, data.SliceFolds, options.Folds, trainingOptions, device, epochProgress, cancellationToken);

        // The seed's table: each fold model on its own held-out fold, and on the external set.
        var internalFolds = new List<BinaryMetrics>();
        var externalFolds = new List<BinaryMetrics>();
        var internalAuc = new List<double>();
        var externalAuc = new List<double>();
        using var externalImages = data.External.Slices.Images.to(device);
        for (var fold = 0; fold < foldModels.Count; fold++)
        {
            var model = foldModels.Models[fold];
            var (_, heldOutRows) = SplitByFold(data.SliceFolds, fold);
            using var heldOutImages = Rows(internalSet.Slices.Images, heldOutRows).to(device);
            var heldOutTruth = Subset(internalSet.Labels, heldOutRows);
            var heldOutProbabilities = PredictIrregular(model, heldOutImages);
            var externalProbabilities = PredictIrregular(model, externalImages);
            internalFolds.Add(BinaryMetrics.Compute(HardLabels(heldOutProbabilities), heldOutTruth));
            externalFolds.Add(BinaryMetrics.Compute(HardLabels(externalProbabilities), data.External.Labels));
            AddRocAuc(internalAuc, heldOutProbabilities, heldOutTruth);
            AddRocAuc(externalAuc, externalProbabilities, data.External.Labels);
            progress?.Report(string.Create(CultureInfo.InvariantCulture,
                $"{name}, fold {fold + 1}/{options.Folds}: held-out accuracy {internalFolds[^1].Accuracy:F3}, external accuracy {externalFolds[^1].Accuracy:F3}"));
        }

        // Post-hoc uncertainty: every case is one fold model's prediction on one slice of the validation, internal test or external set.
        var setNames = new[] { "validation", "internal", "external" };
        var sets = new[] { data.Validation, data.Test, data.External };
        using var validationImages = data.Validation.Slices.Images.to(device);
        using var testImages = data.Test.Slices.Images.to(device);
        var images = new[] { validationImages, testImages, externalImages };
        using var validationLabels = LabelTensor(data.Validation.Labels).to(device);
        var tables = new[] { new CaseTable(), new CaseTable(), new CaseTable() };
        progress?.Report(string.Create(CultureInfo.InvariantCulture,
            $"{name}: greedy policy search over {PolicySearch.PoolSize + 1} candidate sub-policies on the validation patients"));
        var policy = PolicySearch.Learn(foldModels.Models, validationImages, validationLabels, PolicySeed(options, augmented), cancellationToken);
        policy.Save(StudyArtefacts.PolicyPath(options.OutputDirectory, key));
        var ensembleScores = new List<(string Method, double[][] Scores)>();
        foreach (var ensemble in EnsembleMethods(foldModels.Models))
        {
            var perSet = new double[sets.Length][];
            for (var s = 0; s < sets.Length; s++)
            {
                perSet[s] = EstimateScores(ensemble, images[s]).Scores;
            }

            ensembleScores.Add((ensemble.Name, perSet));
        }

        var temperatures = new double[foldModels.Count];
        var conformal = new ConformalStudy();
        for (var fold = 0; fold < foldModels.Count; fold++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var model = foldModels.Models[fold];
            var (trainRows, _) = SplitByFold(data.SliceFolds, fold);
            using var scope = NewDisposeScope();
            var trainImages = Rows(internalSet.Slices.Images, trainRows).to(device);
            var trainLabels = LabelTensor(Subset(internalSet.Labels, trainRows)).to(device);
            var fitData = new FitData
            {
                Training = new[] { new Batch(trainImages, trainLabels) },
                Validation = new[] { new Batch(validationImages, validationLabels) },
            };
            var methods = SingleModelMethods(model, policy);
            try
            {
                foreach (var estimator in methods)
                {
                    estimator.Fit(fitData);
                }

                var calibrated = (SoftmaxEstimator)methods[1];
                temperatures[fold] = calibrated.Temperature!.Value;
                var calibratedBySet = new double[sets.Length][];
                for (var s = 0; s < sets.Length; s++)
                {
                    var (probabilities, failures) = PredictWithFailures(model, images[s], sets[s].Labels);
                    var (calibratedProbabilities, calibratedScores) = EstimateScores(calibrated, images[s]);
                    calibratedBySet[s] = calibratedProbabilities;
                    tables[s].AddFold(fold, sets[s].Labels, probabilities, calibratedProbabilities, failures);
                    foreach (var estimator in methods)
                    {
                        tables[s].AddScores(estimator.Name, ReferenceEquals(estimator, calibrated) ? calibratedScores : EstimateScores(estimator, images[s]).Scores);
                    }

                    foreach (var (method, perSet) in ensembleScores)
                    {
                        tables[s].AddScores(method, perSet[s]);
                    }
                }

                conformal.AddFold(setNames, sets, calibratedBySet, options.Seed + fold);
                StudyArtefacts.SaveFold(options.OutputDirectory, key, fold, foldModels.Networks[fold], methods);
            }
            finally
            {
                foreach (var estimator in methods)
                {
                    (estimator as IDisposable)?.Dispose();
                }
            }

            progress?.Report(string.Create(CultureInfo.InvariantCulture,
                $"{name}, fold {fold + 1}/{options.Folds}: post-hoc methods fitted (temperature {temperatures[fold]:F3}) and scored"));
        }

        // The z-score combination of every method but the uncalibrated baseline, fitted on the validation cases.
        var combined = new List<string>();
        foreach (var method in tables[0].Methods)
        {
            if (method != BaselineName)
            {
                combined.Add(method);
            }
        }

        ZScoreCombiner combiner;
        var validationScores = tables[0].ScoreTensors(combined);
        try
        {
            combiner = ZScoreCombiner.Fit(validationScores);
        }
        finally
        {
            DisposeAll(validationScores);
        }

        combiner.Save(StudyArtefacts.CombinerPath(options.OutputDirectory, key));
        foreach (var table in tables)
        {
            var scores = table.ScoreTensors(combined);
            try
            {
                using var values = combiner.Combine(scores);
                table.AddScores(CombinationName, values.data<double>().ToArray());
            }
            finally
            {
                DisposeAll(scores);
            }
        }

        var uncertainty = new List<UncertaintySummary>();
        var detection = new List<FailureDetectionTable>();
        var calibration = new List<CalibrationSummary>();
        for (var s = 0; s < sets.Length; s++)
        {
            var summary = SummariseCalibration(setNames[s], tables[s]);
            if (s == 0)
            {
                calibration.Add(summary);
                continue;
            }

            calibration.Add(summary with { Plots = PlotReliability(options.OutputDirectory, key, setNames[s], tables[s]) });

            foreach (var method in tables[s].Methods)
            {
                uncertainty.Add(SummariseFailureDetection(method, setNames[s], tables[s].Scores(method), tables[s].Failures));
            }

            var table = CompareFailureDetection(setNames[s], tables[s]);
            detection.Add(table with { Plots = StudyPlots.Save(options.OutputDirectory, key, name, table) });
        }

        for (var s = 0; s < sets.Length; s++)
        {
            for (var fold = 0; fold < foldModels.Count; fold++)
            {
                predictions.Add(name, setNames[s], fold, sets[s].Slices.Patients, tables[s], fold);
            }
        }

        var externalPatients = PatientLevelStudy.Analyse(tables[2], data.External, detection[^1]);
        var examples = ExampleSlices.Save(options.OutputDirectory, key, data.External, tables[2], foldModels.Count);
        var policyNames = new List<string>();
        foreach (var augmentation in policy.Augmentations)
        {
            policyNames.Add(augmentation.Name);
        }

        return new ConfigurationResult(
            name,
            augmented,
            internalFolds,
            Summarise(internalFolds, m => m.Accuracy),
            MeanSd.Of(internalAuc),
            Summarise(internalFolds, m => m.Sensitivity),
            Summarise(internalFolds, m => m.Specificity),
            externalFolds,
            Summarise(externalFolds, m => m.Accuracy),
            MeanSd.Of(externalAuc),
            Summarise(externalFolds, m => m.Sensitivity),
            Summarise(externalFolds, m => m.Specificity),
            temperatures,
            policyNames,
            policy.Temperature ?? 1,
            calibration,
            uncertainty,
            detection,
            examples,
            externalPatients,
            conformal.Summaries());
    }

    private const int ReliabilityBins = 10;

    private static CalibrationSummary SummariseCalibration(string set, CaseTable cases)
    {
        var truth = cases.Truth.ToArray();
        var before = cases.Probabilities.ToArray();
        var after = cases.CalibratedProbabilities.ToArray();
        return new CalibrationSummary(
            set,
            CalibrationMetrics.Ece(before, truth),
            CalibrationMetrics.Ece(after, truth),
            CalibrationMetrics.NegativeLogLikelihood(before, truth),
            CalibrationMetrics.NegativeLogLikelihood(after, truth),
            ReliabilityDiagram.Compute(before, truth, ReliabilityBins).Bins,
            ReliabilityDiagram.Compute(after, truth, ReliabilityBins).Bins,
            Array.Empty<string>());
    }

    private static IReadOnlyList<string> PlotReliability(string directory, string key, string set, CaseTable cases)
    {
        var truth = cases.Truth.ToArray();
        var before = ReliabilityDiagram.Compute(cases.Probabilities.ToArray(), truth, ReliabilityBins);
        var after = ReliabilityDiagram.Compute(cases.CalibratedProbabilities.ToArray(), truth, ReliabilityBins);
        return StudyPlots.SaveReliability(directory, key, set, before, after);
    }

    private static void AddRocAuc(List<double> values, double[] probabilities, IReadOnlyList<int> truth)
    {
        var positive = new bool[truth.Count];
        var positives = 0;
        for (var i = 0; i < positive.Length; i++)
        {
            positive[i] = truth[i] == ShapeLabeller.IrregularClass;
            positives += positive[i] ? 1 : 0;
        }

        if (positives > 0 && positives < positive.Length)
        {
            values.Add(RocEvaluator.Auroc(probabilities, positive));
        }
    }

    private static (double[] Probabilities, bool[] Failures) PredictWithFailures(IModel model, Tensor images, int[] labels)
    {
        using var scope = NewDisposeScope();
        using var output = model.Forward(images);
        var probabilities = ProbabilityConversion.ToProbabilities(output.Logits, model.OutputKind);
        var failures = Failures.Misclassified(probabilities, LabelTensor(labels).to(probabilities.device));
        return (
            probabilities[.., ShapeLabeller.IrregularClass].to(ScalarType.Float64).cpu().data<double>().ToArray(),
            failures.cpu().data<bool>().ToArray());
    }

    private static (double[] Probabilities, double[] Scores) EstimateScores(IUncertaintyEstimator estimator, Tensor images)
    {
        using var scope = NewDisposeScope();
        using var estimate = estimator.EstimateAll(new[] { new Batch(images) });
        return (
            estimate.Probabilities[.., ShapeLabeller.IrregularClass].to(ScalarType.Float64).cpu().data<double>().ToArray(),
            estimate.Scores.to(ScalarType.Float64).cpu().data<double>().ToArray());
    }

    private static void DisposeAll(Dictionary<string, Tensor> tensors)
    {
        foreach (var tensor in tensors.Values)
        {
            tensor.Dispose();
        }
    }

    private static LabelledSlices PrepareHeldOut(int patients, StudyOptions options, int seed)
    {
        using var labelled = PrepareData(patients, ScannerProfile.Internal, options, seed);
        var kept = new List<int>(ClassBalancer.DownSample(labelled.Labels, seed + 1));
        kept.Sort();
        var keptLabels = new int[kept.Count];
        for (var i = 0; i < keptLabels.Length; i++)
        {
            keptLabels[i] = labelled.Labels[kept[i]];
        }

        return new LabelledSlices(labelled.Slices.Select(kept), keptLabels, labelled.PatientShapes, labelled.Summary with { Used = Count(keptLabels) });
    }

    internal static LabelledSlices PrepareData(int patients, ScannerProfile profile, StudyOptions options, int seed)
    {
        using var volumes = TumourGenerator.Generate(patients, options.VolumeSize, profile, seed);
        using var all = SliceSampler.Sample(volumes, options.RotationsPerPatient, options.SlicesPerRotation, seed + 1);
        double[] dice;
        using (var diceTensor = EllipseDice.Compute(all.Masks))
        {
            dice = diceTensor.data<double>().ToArray();
        }

        var labels = Labeller.LabelAll(dice);
        var clear = new List<int>();
        var binary = new List<int>();
        int ambiguous = 0, mips = 0;
        double roundDice = 0, irregularDice = 0;
        int roundSlices = 0, irregularSlices = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            mips += all.IsMip[i] ? 1 : 0;
            if (all.Shapes[i] == TumourShape.Round)
            {
                roundDice += dice[i];
                roundSlices++;
            }
            else
            {
                irregularDice += dice[i];
                irregularSlices++;
            }

            if (labels[i] == SliceShapeLabel.Ambiguous)
            {
                ambiguous++;
                continue;
            }

            clear.Add(i);
            binary.Add(labels[i] == SliceShapeLabel.Irregular ? ShapeLabeller.IrregularClass : ShapeLabeller.RoundClass);
        }

        var roundPatients = 0;
        foreach (var shape in volumes.Shapes)
        {
            roundPatients += shape == TumourShape.Round ? 1 : 0;
        }

        var summary = new DatasetSummary(
            patients,
            roundPatients,
            patients - roundPatients,
            all.Count,
            mips,
            Count(binary),
            ambiguous,
            Count(binary),
            roundSlices == 0 ? double.NaN : roundDice / roundSlices,
            irregularSlices == 0 ? double.NaN : irregularDice / irregularSlices,
            Array.Empty<ClassCounts>());
        return new LabelledSlices(all.Select(clear), binary.ToArray(), volumes.Shapes, summary);
    }

    /// <summary>Down-samples the majority class within each fold where its imbalance exceeds 2:3, as the seed did per fold.</summary>
    private static LabelledSlices BalancePerFold(LabelledSlices set, int[] patientFolds, int folds, int seed)
    {
        var kept = new List<int>();
        for (var fold = 0; fold < folds; fold++)
        {
            var rows = new List<int>();
            var labels = new List<int>();
            for (var i = 0; i < set.Labels.Length; i++)
            {
                if (patientFolds[set.Slices.Patients[i]] == fold)
                {
                    rows.Add(i);
                    labels.Add(set.Labels[i]);
                }
            }

            foreach (var index in ClassBalancer.DownSample(labels, seed + fold))
            {
                kept.Add(rows[index]);
            }
        }

        kept.Sort();
        var keptLabels = new int[kept.Count];
        for (var i = 0; i < keptLabels.Length; i++)
        {
            keptLabels[i] = set.Labels[kept[i]];
        }

        return new LabelledSlices(set.Slices.Select(kept), keptLabels, set.PatientShapes, set.Summary with { Used = Count(keptLabels) });
    }

    private static Device ResolveDevice(string name)
    {
        if (name.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) && !torch.cuda.is_available())
        {
            throw new ArgumentException(
                $"Device '{name}' needs CUDA, which this build cannot reach: the sample references TorchSharp-cpu. Use --device cpu, or reference a CUDA runtime package.",
                nameof(StudyOptions.Device));
        }

        try
        {
            return torch.device(name);
        }
        catch (Exception exception) when (exception is ArgumentException or FormatException or InvalidOperationException)
        {
            throw new ArgumentException($"Device must be cpu, cuda or cuda:N; found '{name}'.", nameof(StudyOptions.Device), exception);
        }
    }

    private static void RequireBothClasses(LabelledSlices set, string name)
    {
        if (set.Summary.Used.Round < 2 || set.Summary.Used.Irregular < 2)
        {
            throw new InvalidOperationException(
                $"The {name} set has {set.Summary.Used.Round} round and {set.Summary.Used.Irregular} irregular slices after labelling; each class needs at least 2. Use more patients or rotations.");
        }
    }

    private static (List<int> Train, List<int> Validation) SplitByFold(int[] sliceFolds, int fold)
    {
        var train = new List<int>();
        var validation = new List<int>();
        for (var i = 0; i < sliceFolds.Length; i++)
        {
            (sliceFolds[i] == fold ? validation : train).Add(i);
        }

        return (train, validation);
    }

    private static Tensor Rows(Tensor source, List<int> rows)
    {
        var indices = new long[rows.Count];
        for (var i = 0; i < indices.Length; i++)
        {
            indices[i] = rows[i];
        }

        using var index = tensor(indices);
        return source.index_select(0, index);
    }

    private static Tensor LabelTensor(IReadOnlyList<int> labels)
    {
        var values = new long[labels.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = labels[i];
        }

        return tensor(values);
    }

    private static T[] Subset<T>(IReadOnlyList<T> values, List<int> rows)
    {
        var subset = new T[rows.Count];
        for (var i = 0; i < subset.Length; i++)
        {
            subset[i] = values[rows[i]];
        }

        return subset;
    }

    private static double[] PredictIrregular(IModel model, Tensor images)
    {
        using var scope = NewDisposeScope();
        using var output = model.Forward(images);
        var probabilities = ProbabilityConversion.ToProbabilities(output.Logits, model.OutputKind);
        return probabilities[.., ShapeLabeller.IrregularClass].to(ScalarType.Float64).cpu().data<double>().ToArray();
    }

    private static int[] HardLabels(double[] irregularProbabilities)
    {
        var labels = new int[irregularProbabilities.Length];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = irregularProbabilities[i] >= 0.5 ? ShapeLabeller.IrregularClass : ShapeLabeller.RoundClass;
        }

        return labels;
    }

    private static MeanSd Summarise(List<BinaryMetrics> folds, Func<BinaryMetrics, double> metric)
    {
        var values = new double[folds.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = metric(folds[i]);
        }

        return MeanSd.Of(values);
    }

    private static IReadOnlyList<ClassCounts> CountPerFold(int[] labels, int[] sliceFolds, int folds)
    {
        var round = new int[folds];
        var irregular = new int[folds];
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] == ShapeLabeller.IrregularClass)
            {
                irregular[sliceFolds[i]]++;
            }
            else
            {
                round[sliceFolds[i]]++;
            }
        }

        var counts = new ClassCounts[folds];
        for (var f = 0; f < folds; f++)
        {
            counts[f] = new ClassCounts(round[f], irregular[f]);
        }

        return counts;
    }

    private static ClassCounts Count(IReadOnlyList<int> labels)
    {
        var irregular = 0;
        foreach (var label in labels)
        {
            irregular += label == ShapeLabeller.IrregularClass ? 1 : 0;
        }

        return new ClassCounts(labels.Count - irregular, irregular);
    }
}
