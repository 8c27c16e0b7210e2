using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using TorchSharp;
using Uqlib.Calibration;
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
/// Deterministic for a given <see cref="StudyOptions.Seed"/> on one thread. Every step is a method named after it, so that an
/// estimator that needs several models (the 5-fold ensemble) or a fitted combination plugs in beside <see cref="SingleModelMethods"/>.
/// </remarks>
public static class BiradsStudy
{
    private static readonly ShapeLabeller Labeller = new();

    /// <summary>Runs the whole study and writes <c>report.md</c>, <c>results.json</c> and <c>predictions.csv</c> into the output folder.</summary>
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

        progress?.Report($"Generating {options.Patients} internal patients ({options.VolumeSize}³ voxels) and labelling their slices");
        using var labelledInternal = PrepareData(options.Patients, ScannerProfile.Internal, options, options.Seed);
        cancellationToken.ThrowIfCancellationRequested();
        progress?.Report($"Generating {options.ExternalPatients} external patients (another scanner) and labelling their slices");
        using var externalSet = PrepareData(options.ExternalPatients, ScannerProfile.External, options, options.Seed + 7919);
        var patientFolds = PatientFolds.Assign(labelledInternal.PatientShapes, options.Folds, options.Seed + 2);
        using var internalSet = BalancePerFold(labelledInternal, patientFolds, options.Folds, options.Seed + 3);
        RequireBothClasses(internalSet, "internal");
        RequireBothClasses(externalSet, "external");
        var sliceFolds = new int[internalSet.Slices.Count];
        for (var i = 0; i < sliceFolds.Length; i++)
        {
            sliceFolds[i] = patientFolds[internalSet.Slices.Patients[i]];
        }

        var internalSummary = internalSet.Summary with { Folds = CountPerFold(internalSet.Labels, sliceFolds, options.Folds) };
        progress?.Report(string.Create(CultureInfo.InvariantCulture,
            $"Internal: {internalSet.Slices.Count} slices used ({internalSummary.Used.Round} round, {internalSummary.Used.Irregular} irregular, {internalSummary.Ambiguous} ambiguous set aside); " +
            $"external: {externalSet.Slices.Count} ({externalSet.Summary.Used.Round} round, {externalSet.Summary.Used.Irregular} irregular)"));

        var predictions = new PredictionTable();
        var configurations = new List<ConfigurationResult>();
        foreach (var augmented in new[] { false, true })
        {
            configurations.Add(RunConfiguration(augmented, internalSet, sliceFolds, externalSet, options, device, predictions, progress, cancellationToken));
        }

        var result = new StudyResult(options, internalSummary, externalSet.Summary, configurations);
        StudyReportWriter.Write(result, predictions.Lines, options.OutputDirectory);
        progress?.Report($"Report written to {options.OutputDirectory}");
        return result;
    }

    /// <summary>The post-hoc methods applied to each fold model on its own: each is fitted on the fold's <see cref="FitData"/>
    /// (training slices, and the held-out fold as validation) and scores the held-out fold and the external set.</summary>
    /// <remarks>Single-model methods that need fitting (temperature scaling, TTA with a GPS policy, Mahalanobis, kNN on the
    /// <see cref="ShapeNet.FeatureLayer"/> features) are added to this list.</remarks>
    /// <param name="model">One fold model, exposing its penultimate features.</param>
    /// <returns>The estimators, in report order.</returns>
    internal static IReadOnlyList<IUncertaintyEstimator> SingleModelMethods(IModel model)
    {
        return new IUncertaintyEstimator[]
        {
            new SoftmaxEstimator(model, SoftmaxScore.DistanceToHardLabel),
            new SoftmaxEstimator(model, SoftmaxScore.MaxProbability),
        };
    }

    /// <summary>Summarises how one method's scores separate failures from correct predictions. The failure-detection metrics
    /// (AUROC with its DeLong interval, AUPR, FPR@95%TPR, AURC) are computed from the same scores and failures.</summary>
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

    /// <summary>Trains the fold models of one configuration, then scores each on its held-out fold and on the external set.</summary>
    /// <remarks>Methods that need all fold models at once (the deep ensemble of the 5 fold models, on the external set) take
    /// <see cref="FoldModels.Models"/> from here, before the models are disposed.</remarks>
    private static ConfigurationResult RunConfiguration(
        bool augmented,
        LabelledSlices internalSet,
        int[] sliceFolds,
        LabelledSlices externalSet,
        StudyOptions options,
        Device device,
        PredictionTable predictions,
        IProgress<string>? progress,
        CancellationToken cancellationToken)
    {
        var name = augmented ? "with augmentation" : "without augmentation";
        var trainingOptions = new TrainingOptions { Epochs = options.Epochs, Augment = augmented, Seed = options.Seed + (augmented ? 1000 : 100) };
        var epochProgress = progress is null
            ? null
            : new InlineProgress<(int Fold, TrainingProgress Epoch)>(p => progress.Report(string.Create(CultureInfo.InvariantCulture,
                $"  {name}, fold {p.Fold + 1}/{options.Folds}: epoch {p.Epoch.Epoch}/{p.Epoch.Epochs}, loss {p.Epoch.MeanLoss:F4}")));
        using var foldModels = CrossValidation.Train(
            internalSet.Slices.Images, internalSet.Labels, sliceFolds, options.Folds, trainingOptions, device, epochProgress, cancellationToken);

        var internalFolds = new List<BinaryMetrics>();
        var externalFolds = new List<BinaryMetrics>();
        var scoreSets = new Dictionary<(string Method, string Set), (List<double> Scores, List<bool> Failures)>();
        var methodOrder = new List<string>();
        using var externalImages = externalSet.Slices.Images.to(device);
        for (var fold = 0; fold < foldModels.Count; fold++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var model = foldModels.Models[fold];
            var (trainRows, validationRows) = SplitByFold(sliceFolds, fold);
            using var scope = NewDisposeScope();
            var trainImages = Rows(internalSet.Slices.Images, trainRows).to(device);
            var trainLabels = LabelTensor(internalSet.Labels, trainRows).to(device);
            var validationImages = Rows(internalSet.Slices.Images, validationRows).to(device);
            var validationLabels = LabelTensor(internalSet.Labels, validationRows).to(device);

            var validationTruth = Subset(internalSet.Labels, validationRows);
            var validationPatients = Subset(internalSet.Slices.Patients, validationRows);
            var validationProbabilities = PredictIrregular(model, validationImages);
            var externalProbabilities = PredictIrregular(model, externalImages);
            var validationPredicted = HardLabels(validationProbabilities);
            var externalPredicted = HardLabels(externalProbabilities);
            internalFolds.Add(BinaryMetrics.Compute(validationPredicted, validationTruth));
            externalFolds.Add(BinaryMetrics.Compute(externalPredicted, externalSet.Labels));

            var fitData = new FitData
            {
                Training = new[] { new Batch(trainImages, trainLabels) },
                Validation = new[] { new Batch(validationImages, validationLabels) },
            };
            var internalScores = new List<(string, double[])>();
            var externalScores = new List<(string, double[])>();
            foreach (var estimator in SingleModelMethods(model))
            {
                estimator.Fit(fitData);
                var validationScores = Scores(estimator, validationImages);
                var externalScoresOfMethod = Scores(estimator, externalImages);
                internalScores.Add((estimator.Name, validationScores));
                externalScores.Add((estimator.Name, externalScoresOfMethod));
                if (!methodOrder.Contains(estimator.Name))
                {
                    methodOrder.Add(estimator.Name);
                }

                AddScores(scoreSets, estimator.Name, "internal", validationScores, validationPredicted, validationTruth);
                AddScores(scoreSets, estimator.Name, "external", externalScoresOfMethod, externalPredicted, externalSet.Labels);
            }

            predictions.Add(name, "internal", fold, validationPatients, validationTruth, validationProbabilities, internalScores);
            predictions.Add(name, "external", fold, externalSet.Slices.Patients, externalSet.Labels, externalProbabilities, externalScores);
            progress?.Report(string.Create(CultureInfo.InvariantCulture,
                $"{name}, fold {fold + 1}/{options.Folds}: held-out accuracy {internalFolds[^1].Accuracy:F3}, external accuracy {externalFolds[^1].Accuracy:F3}"));
        }

        var uncertainty = new List<UncertaintySummary>();
        foreach (var set in new[] { "internal", "external" })
        {
            foreach (var method in methodOrder)
            {
                var (scores, failures) = scoreSets[(method, set)];
                uncertainty.Add(SummariseFailureDetection(method, set, scores, failures));
            }
        }

        return new ConfigurationResult(
            name,
            augmented,
            internalFolds,
            Summarise(internalFolds, m => m.Accuracy),
            Summarise(internalFolds, m => m.Sensitivity),
            Summarise(internalFolds, m => m.Specificity),
            externalFolds,
            Summarise(externalFolds, m => m.Accuracy),
            Summarise(externalFolds, m => m.Sensitivity),
            Summarise(externalFolds, m => m.Specificity),
            uncertainty);
    }

    private static LabelledSlices PrepareData(int patients, ScannerProfile profile, StudyOptions options, int seed)
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

    private static Tensor LabelTensor(int[] labels, List<int> rows)
    {
        var values = new long[rows.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = labels[rows[i]];
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

    private static double[] Scores(IUncertaintyEstimator estimator, Tensor images)
    {
        using var estimate = estimator.EstimateAll(new[] { new Batch(images) });
        using var scores = estimate.Scores.to(ScalarType.Float64).cpu();
        return scores.data<double>().ToArray();
    }

    private static void AddScores(
        Dictionary<(string Method, string Set), (List<double> Scores, List<bool> Failures)> sets,
        string method,
        string set,
        double[] scores,
        IReadOnlyList<int> predicted,
        IReadOnlyList<int> truth)
    {
        if (!sets.TryGetValue((method, set), out var entry))
        {
            entry = (new List<double>(), new List<bool>());
            sets[(method, set)] = entry;
        }

        entry.Scores.AddRange(scores);
        for (var i = 0; i < truth.Count; i++)
        {
            entry.Failures.Add(predicted[i] != truth[i]);
        }
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
