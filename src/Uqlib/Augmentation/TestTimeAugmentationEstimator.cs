using System;
using System.Collections.Generic;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Ensembles;
using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>The test-time-augmentation estimator: runs the model on augmented copies of each batch, maps dense outputs back, averages the probabilities and reports an <see cref="EnsembleScore"/> of their variability across augmentations.</summary>
/// <remarks>
/// <para>Wang et al. 2019, "Aleatoric uncertainty estimation with test-time augmentation for medical image segmentation with convolutional
/// neural networks"; Ayhan &amp; Berens 2018, "Test-time data augmentation for estimation of heteroscedastic aleatoric uncertainty in deep
/// neural networks". The augmented copies go to the model in forward passes of whole copies of the batch: by default as many as fit in a
/// budget of input bytes (1 MiB on a CPU, 64 MiB on an accelerator; one copy per pass when a copy is larger, see
/// <see cref="TtaOptions.MaxAugmentedBatchSize"/>), or at most <see cref="TtaOptions.MaxAugmentedBatchSize"/> samples when it is set. Each copy's probabilities are folded into running sums, so memory holds a few
/// tensors of one output's size besides the forward pass itself.</para>
/// <para>For segmentation outputs <c>(N, C, H, W[, D])</c> each geometric augmentation's output is inverted before it is averaged; the estimate
/// carries the per-pixel map and each image's score is the map's mean. For classification and regression, an augmentation may not change the
/// input's shape. For regression the prediction is the mean over augmentations and the score the variance (summed over outputs).
/// Not thread-safe when the model is not; <see cref="Fit"/> changes the estimator.</para>
/// <para>Optionally the averaged prediction is calibrated, as in Lyzhov et al. 2020, "Greedy policy search" (and the calibrated log-likelihood of
/// Ashukha et al. 2020, "Pitfalls of in-domain uncertainty estimation and ensembling in deep learning"): the log of the averaged probabilities
/// is treated as logits, so temperature scaling gives softmax(log p̄ / T) with one T fitted on the labelled validation batches in <see cref="Fit"/>.
/// The log clamps p̄ at the dtype's smallest normal number. The calibrated prediction is <see cref="UncertaintyEstimate.Probabilities"/>, and
/// <see cref="EnsembleScore.PredictiveEntropy"/>, a function of the prediction alone, is its entropy; the other measures describe the spread of the
/// augmented copies themselves and are the same as without calibration.</para>
/// </remarks>
public sealed class TestTimeAugmentationEstimator : IUncertaintyEstimator
{
    private readonly IModel model;
    private readonly TtaOptions options;
    private readonly Func<Tensor, Tensor, ICalibrator>? calibration;

    /// <summary>Initializes a new instance of the <see cref="TestTimeAugmentationEstimator"/> class.</summary>
    /// <param name="model">The model; not disposed.</param>
    /// <param name="policy">The augmentations; each gives one copy.</param>
    /// <param name="score">The measure of variability across augmentations to report.</param>
    /// <param name="options">Batching options, or <see langword="null"/> for <see cref="TtaOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="policy"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range, or the score does not suit a regression model.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="score"/> is not a defined <see cref="EnsembleScore"/>.</exception>
    public TestTimeAugmentationEstimator(IModel model, TtaPolicy policy, EnsembleScore score = EnsembleScore.MutualInformation, TtaOptions? options = null)
    {
        this.model = Preconditions.NotNull(model, nameof(model));
        Policy = Preconditions.NotNull(policy, nameof(policy));
        this.options = options ?? TtaOptions.Default;
        this.options.Validate();
        Score = VariabilityEstimates.CheckScore(score, model.OutputKind);
    }

    /// <summary>Initializes a new instance of the <see cref="TestTimeAugmentationEstimator"/> class that fits a calibrator of the averaged prediction in <see cref="Fit"/>.</summary>
    /// <param name="model">The classification or segmentation model; not disposed.</param>
    /// <param name="policy">The augmentations; each gives one copy.</param>
    /// <param name="score">The measure to report.</param>
    /// <param name="calibration">Fits a calibrator on the log of the averaged validation probabilities and the labels, e.g. <c>TemperatureScaling.Fit</c>.</param>
    /// <param name="options">Batching options, or <see langword="null"/> for <see cref="TtaOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/>, <paramref name="policy"/> or <paramref name="calibration"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range, or the model is a regression model.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="score"/> is not a defined <see cref="EnsembleScore"/>.</exception>
    public TestTimeAugmentationEstimator(
        IModel model, TtaPolicy policy, EnsembleScore score, Func<Tensor, Tensor, ICalibrator> calibration, TtaOptions? options = null)
        : this(model, policy, score, options)
    {
        this.calibration = Preconditions.NotNull(calibration, nameof(calibration));
        CheckCalibrated(model);
    }

    /// <summary>Initializes a new instance of the <see cref="TestTimeAugmentationEstimator"/> class with an already fitted (e.g. loaded) calibrator of the averaged prediction; it needs no fitting.</summary>
    /// <param name="model">The classification or segmentation model; not disposed.</param>
    /// <param name="policy">The augmentations; each gives one copy.</param>
    /// <param name="score">The measure to report.</param>
    /// <param name="calibrator">The calibrator, fitted on the log of averaged probabilities of this model under this policy.</param>
    /// <param name="options">Batching options, or <see langword="null"/> for <see cref="TtaOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/>, <paramref name="policy"/> or <paramref name="calibrator"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range, or the model is a regression model.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="score"/> is not a defined <see cref="EnsembleScore"/>.</exception>
    public TestTimeAugmentationEstimator(IModel model, TtaPolicy policy, EnsembleScore score, ICalibrator calibrator, TtaOptions? options = null)
        : this(model, policy, score, options)
    {
        Calibrator = Preconditions.NotNull(calibrator, nameof(calibrator));
        CheckCalibrated(model);
    }

    /// <summary>Gets the policy whose augmentations are applied.</summary>
    public TtaPolicy Policy { get; }

    /// <summary>Gets the measure this estimator reports.</summary>
    public EnsembleScore Score { get; }

    /// <summary>Gets the calibrator of the averaged prediction: the given one, the one fitted by <see cref="Fit"/>, or <see langword="null"/> before fitting or when uncalibrated.</summary>
    public ICalibrator? Calibrator { get; private set; }

    /// <inheritdoc />
    public string Name => Calibrator is null && calibration is null ? "TTA " + Score : "Calibrated TTA " + Score;

    /// <inheritdoc />
    public Requirements Requirements => calibration is null ? Requirements.None : Requirements.LabelledValidationData;

    /// <summary>Fits the calibrator of the averaged prediction on the validation batches when the estimator was given a calibration method; otherwise a no-op.</summary>
    /// <param name="data">The data; <see cref="FitData.Validation"/> with labels (class indices, or masks for segmentation) when calibrating.</param>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">Validation data is needed and missing, a batch has no labels, or the inputs, outputs or labels are invalid.</exception>
    public void Fit(FitData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (calibration is null)
        {
            return;
        }

        var batches = data.RequireValidation(nameof(TestTimeAugmentationEstimator));
        using var scope = torch.NewDisposeScope();
        var logits = new List<Tensor>();
        var labels = new List<Tensor>();
        var index = 0;
        foreach (var batch in batches)
        {
            SpatialTensors.Check(batch.Inputs, "data");
            using (var accumulator = new EnsembleAccumulator(EnsembleScore.PredictiveEntropy))
            {
                Accumulate(batch.Inputs, accumulator);
                var rows = CalibratedOutputs.ToRows(LogMean(accumulator), OutputKind.MulticlassLogits);
                labels.Add(CalibratedOutputs.Labels(batch, index, rows.shape[0], nameof(TestTimeAugmentationEstimator)));
                logits.Add(rows.cpu());
            }

            index++;
        }

        if (logits.Count == 0)
        {
            throw new ArgumentException("TestTimeAugmentationEstimator needs labelled validation data; FitData.Validation has no batches.", nameof(data));
        }

        Calibrator = calibration(torch.cat(logits, 0), torch.cat(labels, 0));
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The inputs are not images <c>(N, C, H, W)</c> or volumes <c>(N, C, D, H, W)</c>; the model's output is invalid; or an augmentation changes the shape of an input whose output is not dense.</exception>
    /// <exception cref="InvalidOperationException">The estimator calibrates its prediction and <see cref="Fit"/> has not been called.</exception>
    public UncertaintyEstimate Estimate(Tensor inputs)
    {
        if (calibration is not null && Calibrator is null)
        {
            throw new InvalidOperationException(
                "This TestTimeAugmentationEstimator calibrates its prediction: call Fit(FitData) with labelled validation data before Estimate.");
        }

        SpatialTensors.Check(inputs, nameof(inputs));
        using var accumulator = new EnsembleAccumulator(VariabilityEstimates.AccumulatedScore(Score, model.OutputKind));
        Accumulate(inputs, accumulator);
        if (Calibrator is null)
        {
            return VariabilityEstimates.Finish(accumulator, model.OutputKind);
        }

        using var scope = torch.NewDisposeScope();
        var probabilities = CalibratedOutputs.Probabilities(Calibrator, LogMean(accumulator), OutputKind.MulticlassLogits);
        var scores = Score == EnsembleScore.PredictiveEntropy ? EnsembleAccumulator.Entropy(probabilities) : accumulator.Compute();
        if (scores.dim() == 1)
        {
            return new UncertaintyEstimate(probabilities.MoveToOuterDisposeScope(), scores.MoveToOuterDisposeScope());
        }

        var perImage = scores.flatten(1).mean(new long[] { 1 });
        return new UncertaintyEstimate(probabilities.MoveToOuterDisposeScope(), perImage.MoveToOuterDisposeScope(), scores.MoveToOuterDisposeScope());
    }

    private static void CheckCalibrated(IModel model)
    {
        if (model.OutputKind is OutputKind.Regression or OutputKind.GaussianRegression)
        {
            throw new ArgumentException($"A calibrator maps class probabilities; the model outputs {model.OutputKind}.", nameof(model));
        }
    }

    /// <summary>log p̄, with p̄ clamped at the dtype's smallest normal number: the logits whose softmax is p̄.</summary>
    private static Tensor LogMean(EnsembleAccumulator accumulator)
    {
        var mean = accumulator.Mean();
        return mean.clamp_min_(torch.finfo(mean.dtype).tiny).log_();
    }

    /// <summary>Runs the model on every augmented copy of the inputs, maps dense outputs back, and adds each copy's probabilities to the accumulator.</summary>
    private void Accumulate(Tensor inputs, EnsembleAccumulator accumulator)
    {
        var kind = model.OutputKind;
        var count = inputs.shape[0];
        var perPass = options.CopiesPerPass(count, inputs.NumberOfElements * inputs.ElementSize, Policy.Count, inputs.device_type == DeviceType.CPU);
        var augmentations = Policy.Augmentations;
        var group = new List<Tensor>(Math.Min(perPass, Policy.Count));
        var start = 0;
        while (start < augmentations.Count)
        {
            using var scope = torch.NewDisposeScope();
            group.Clear();
            // Copies of one shape go together (rot90 in a non-square plane changes the shape).
            while (start + group.Count < augmentations.Count && group.Count < perPass)
            {
                var augmented = augmentations[start + group.Count].Apply(inputs);
                if (group.Count > 0 && !augmented.shape.AsSpan().SequenceEqual(group[0].shape))
                {
                    augmented.Dispose();
                    break;
                }

                group.Add(augmented);
            }

            var batch = group.Count == 1 ? group[0] : torch.cat(group, 0);
            using var output = model.Forward(batch);
            var values = VariabilityEstimates.ToAccumulated(output.Logits, kind, "output");
            for (var j = 0; j < group.Count; j++)
            {
                var augmentation = augmentations[start + j];
                var copy = values.narrow(0, j * count, count);
                var dense = kind != OutputKind.Regression && copy.dim() == inputs.dim();
                if (!dense && !group[j].shape.AsSpan().SequenceEqual(inputs.shape))
                {
                    throw new ArgumentException(
                        $"{augmentation.Name} changes the input shape from {Preconditions.ShapeText(inputs)} to {Preconditions.ShapeText(group[j])}; only models with dense outputs (segmentation) accept that, because their outputs are mapped back.",
                        nameof(inputs));
                }

                accumulator.Add(dense && augmentation.IsGeometric ? augmentation.Invert(copy) : copy);
            }

            start += group.Count;
        }
    }
}
