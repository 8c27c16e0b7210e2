using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using TorchSharp;
using Uqlib.Calibration;
using static TorchSharp.torch;

namespace Uqlib.Scores;

/// <summary>The single-model estimator: one <see cref="SoftmaxScore"/> of the model's output, optionally on probabilities calibrated by an <see cref="ICalibrator"/>.</summary>
/// <remarks>
/// <para>Without a calibrator it needs no fitting. With a calibration method (e.g. <c>TemperatureScaling.Fit</c>) it has
/// <see cref="Requirements.LabelledValidationData"/>: <see cref="Fit(FitData)"/> runs the model over the validation batches and fits the calibrator on
/// the logits and labels; the probability-based scores are then computed on the calibrated probabilities. The seed's binary proxy is
/// a binary-logit model with temperature scaling and <see cref="SoftmaxScore.DistanceToHardLabel"/>.</para>
/// <para>For segmentation outputs <c>(N, C, H, W[, D])</c> the calibrator acts on every pixel (labels are masks), the estimate carries the
/// per-pixel map and each image's score is the map's mean. Not thread-safe: <see cref="Fit(FitData)"/> changes the estimator.</para>
/// </remarks>
public sealed class SoftmaxEstimator : IUncertaintyEstimator
{
    private readonly IModel model;
    private readonly Func<Tensor, Tensor, ICalibrator>? calibration;

    /// <summary>Initializes a new instance of the <see cref="SoftmaxEstimator"/> class that scores the model's own probabilities.</summary>
    /// <param name="model">The model whose output is scored.</param>
    /// <param name="score">The score to report.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The model is a regression model, or <paramref name="score"/> needs logits the model lacks.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="score"/> is undefined.</exception>
    public SoftmaxEstimator(IModel model, SoftmaxScore score = SoftmaxScore.OneMinusMaxProbability)
    {
        this.model = Preconditions.NotNull(model, nameof(model));
        if (model.OutputKind is OutputKind.Regression or OutputKind.GaussianRegression)
        {
            throw new ArgumentException("A softmax score needs a classification or segmentation model; found a regression model.", nameof(model));
        }

        if (!Enum.IsDefined(score))
        {
            throw new ArgumentOutOfRangeException(nameof(score), score, "score must be a defined SoftmaxScore.");
        }

        if (score is SoftmaxScore.NegativeMaxLogit or SoftmaxScore.Energy && model.OutputKind == OutputKind.Probabilities)
        {
            throw new ArgumentException($"{score} needs logits; the model outputs probabilities.", nameof(score));
        }

        Score = score;
    }

    /// <summary>Initializes a new instance of the <see cref="SoftmaxEstimator"/> class that fits a calibrator in <see cref="Fit(FitData)"/> and scores calibrated probabilities.</summary>
    /// <param name="model">The model whose output is calibrated and scored; it must output logits.</param>
    /// <param name="score">The score to report; a probability-based score.</param>
    /// <param name="calibration">Fits a calibrator on validation logits and labels, e.g. <c>TemperatureScaling.Fit</c>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="calibration"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The model does not output logits, or <paramref name="score"/> is a logit score.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="score"/> is undefined.</exception>
    public SoftmaxEstimator(IModel model, SoftmaxScore score, Func<Tensor, Tensor, ICalibrator> calibration)
        : this(model, score)
    {
        this.calibration = Preconditions.NotNull(calibration, nameof(calibration));
        CheckCalibrated(model, score);
    }

    /// <summary>Initializes a new instance of the <see cref="SoftmaxEstimator"/> class with an already fitted (e.g. loaded) calibrator; it needs no fitting.</summary>
    /// <param name="model">The model whose output is calibrated and scored; it must output logits.</param>
    /// <param name="score">The score to report; a probability-based score.</param>
    /// <param name="calibrator">The fitted calibrator.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="calibrator"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The model does not output logits, or <paramref name="score"/> is a logit score.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="score"/> is undefined.</exception>
    public SoftmaxEstimator(IModel model, SoftmaxScore score, ICalibrator calibrator)
        : this(model, score)
    {
        Calibrator = Preconditions.NotNull(calibrator, nameof(calibrator));
        CheckCalibrated(model, score);
    }

    /// <summary>Gets the score this estimator reports.</summary>
    public SoftmaxScore Score { get; }

    /// <summary>Gets the calibrator in use: the given one, the one fitted by <see cref="Fit(FitData)"/>, or <see langword="null"/> before fitting or when uncalibrated.</summary>
    public ICalibrator? Calibrator { get; private set; }

    /// <summary>Gets the fitted (or given) temperature T when the calibrator is a <see cref="TemperatureScaling"/>, without a cast;
    /// <see langword="null"/> before fitting, when uncalibrated, or when another calibrator is in use.</summary>
    public double? Temperature => (Calibrator as TemperatureScaling)?.Temperature;

    /// <inheritdoc />
    public string Name => Calibrator is null && calibration is null ? Score.ToString() : $"Calibrated {Score}";

    /// <inheritdoc />
    public Requirements Requirements => calibration is null ? Requirements.None : Requirements.LabelledValidationData;

    /// <inheritdoc />
    public void Fit(FitData data)
    {
        Fit(data, null, CancellationToken.None);
    }

    /// <summary>Fits the calibrator on the validation batches when the estimator was given a calibration method; otherwise a no-op.</summary>
    /// <param name="data">The data; <see cref="FitData.Validation"/> with labels (class indices, or masks for segmentation) when calibrating.</param>
    /// <param name="progress">Receives the validation batches and samples done, with the total when the batches are a collection, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels before each batch; the previous fit is then kept.</param>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">Validation data is needed and missing, a batch has no labels, or the logits or labels are invalid.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public void Fit(FitData data, IProgress<EstimationProgress>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        cancellationToken.ThrowIfCancellationRequested();
        if (calibration is null)
        {
            return;
        }

        var batches = data.RequireValidation(nameof(SoftmaxEstimator));
        using var scope = torch.NewDisposeScope();
        var logits = new List<Tensor>();
        var labels = new List<Tensor>();
        var index = 0;
        long samples = 0;
        var total = EstimationProgress.TotalOf(batches);
        foreach (var batch in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using (var output = model.Forward(batch.Inputs))
            {
                var rows = CalibratedOutputs.ToRows(output.Logits, model.OutputKind);
                labels.Add(CalibratedOutputs.Labels(batch, index, rows.shape[0], nameof(SoftmaxEstimator)));
                logits.Add(rows.cpu());
            }

            index++;
            samples += batch.Count;
            progress?.Report(new EstimationProgress(index, samples) { TotalSamples = total });
        }

        if (logits.Count == 0)
        {
            throw new ArgumentException("SoftmaxEstimator needs labelled validation data; FitData.Validation has no batches.", nameof(data));
        }

        Calibrator = calibration(torch.cat(logits, 0), torch.cat(labels, 0));
    }

    /// <inheritdoc />
    public UncertaintyEstimate Estimate(Tensor inputs)
    {
        if (calibration is not null && Calibrator is null)
        {
            throw new InvalidOperationException(
                "This SoftmaxEstimator calibrates its probabilities: call Fit(FitData) with labelled validation data before Estimate.");
        }

        using var scope = torch.NewDisposeScope();
        using var output = model.Forward(inputs);
        Tensor probabilities;
        Tensor scores;
        if (Calibrator is null)
        {
            probabilities = ProbabilityConversion.ToProbabilities(output.Logits, model.OutputKind);
            scores = SoftmaxScores.Compute(Score, output.Logits, model.OutputKind);
        }
        else
        {
            probabilities = CalibratedOutputs.Probabilities(Calibrator, output.Logits, model.OutputKind);
            scores = SoftmaxScores.FromProbabilities(Score, probabilities);
        }

        if (scores.dim() == 1)
        {
            return new UncertaintyEstimate(probabilities.MoveToOuterDisposeScope(), OutputDtype.PerCase(scores).MoveToOuterDisposeScope());
        }

        var perImage = scores.flatten(1).mean(new long[] { 1 });
        return new UncertaintyEstimate(
            probabilities.MoveToOuterDisposeScope(), OutputDtype.PerCase(perImage).MoveToOuterDisposeScope(), scores.MoveToOuterDisposeScope());
    }

    private static void CheckCalibrated(IModel model, SoftmaxScore score)
    {
        if (model.OutputKind is not (OutputKind.MulticlassLogits or OutputKind.BinaryLogit))
        {
            throw new ArgumentException($"A calibrator maps logits; the model outputs {model.OutputKind}.", nameof(model));
        }

        if (score is SoftmaxScore.NegativeMaxLogit or SoftmaxScore.Energy)
        {
            throw new ArgumentException($"{score} is a logit score; a calibrated estimator reports a probability-based score.", nameof(score));
        }
    }
}
