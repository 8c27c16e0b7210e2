using System;
using System.Collections.Generic;
using System.Threading;
using TorchSharp;
using Uqlib.Calibration;
using static TorchSharp.torch;

namespace Uqlib.Conformal;

/// <summary>
/// The conformal estimator over any classification model: <see cref="Fit(FitData)"/> calibrates a <see cref="ConformalClassifier"/> on labelled
/// validation data, and each case's uncertainty score is the size of its prediction set at level α (higher = more uncertain).
/// </summary>
/// <remarks>
/// <para>
/// The set size is the conformal answer to "how unsure is the model here": 1 is a confident single class, 2 or more classes means the
/// model cannot tell them apart at the promised coverage (for two classes, "both" means refer). It feeds <c>RocEvaluator</c>, combiners
/// and plots like every other Uqlib score; many cases tie, which AUROC handles exactly. The sets themselves come from
/// <see cref="Classifier"/>'s <see cref="ConformalClassifier.Predict"/> on the estimate's probabilities, at this α or any other.
/// </para>
/// <para>Not thread-safe: <see cref="Fit(FitData)"/> changes the estimator.</para>
/// </remarks>
public sealed class ConformalEstimator : IUncertaintyEstimator
{
    private readonly IModel model;

    /// <summary>Initializes a new instance of the <see cref="ConformalEstimator"/> class.</summary>
    /// <param name="model">A classification model (multiclass logits, a binary logit, or probabilities) of shape <c>(N, C)</c> or <c>(N)</c>.</param>
    /// <param name="alpha">The miscoverage level α of the sets whose sizes are the scores, in (0, 1) (0.1 for 90% sets).</param>
    /// <param name="options">The conformal options, or <see langword="null"/> for <see cref="ConformalSetOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The model is a regression model, or the options are invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not in (0, 1).</exception>
    public ConformalEstimator(IModel model, double alpha, ConformalSetOptions? options = null)
    {
        this.model = Preconditions.NotNull(model, nameof(model));
        if (model.OutputKind is OutputKind.Regression or OutputKind.GaussianRegression)
        {
            throw new ArgumentException("Conformal classification sets need a classification model; found a regression model.", nameof(model));
        }

        Alpha = Preconditions.Alpha(alpha, nameof(alpha));
        Options = options ?? ConformalSetOptions.Default;
        Options.Validate();
    }

    /// <summary>Gets the miscoverage level α of the sets whose sizes are the scores.</summary>
    public double Alpha { get; }

    /// <summary>Gets the conformal options.</summary>
    public ConformalSetOptions Options { get; }

    /// <summary>Gets the classifier fitted by <see cref="Fit(FitData)"/>, or <see langword="null"/> before.</summary>
    public ConformalClassifier? Classifier { get; private set; }

    /// <inheritdoc />
    public string Name => $"Conformal {Options.Score} set size";

    /// <inheritdoc />
    public Requirements Requirements => Requirements.LabelledValidationData;

    /// <inheritdoc />
    public void Fit(FitData data)
    {
        Fit(data, null, CancellationToken.None);
    }

    /// <summary>Runs the model over the labelled validation batches and fits the conformal classifier on their probabilities and labels.</summary>
    /// <param name="data">The data; <see cref="FitData.Validation"/> with class labels, held out from training.</param>
    /// <param name="progress">Receives the validation batches and samples done, with the total when the batches are a collection, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels before each batch; the previous fit is then kept.</param>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// Validation data is missing or empty, a batch has no labels or labels that do not match its outputs, the outputs are not
    /// classification outputs <c>(N, C)</c> or <c>(N)</c>, or α is below 1/(n + 1) for the n validation cases.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public void Fit(FitData data, IProgress<EstimationProgress>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        cancellationToken.ThrowIfCancellationRequested();
        var batches = data.RequireValidation(nameof(ConformalEstimator));
        using var scope = torch.NewDisposeScope();
        var probabilities = new List<Tensor>();
        var labels = new List<Tensor>();
        var index = 0;
        long samples = 0;
        var total = EstimationProgress.TotalOf(batches);
        foreach (var batch in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using (var output = model.Forward(batch.Inputs))
            {
                var p = Probabilities(output.Logits);
                labels.Add(CalibratedOutputs.Labels(batch, index, p.shape[0], nameof(ConformalEstimator)));
                probabilities.Add(p.cpu());
            }

            index++;
            samples += batch.Count;
            progress?.Report(new EstimationProgress(index, samples) { TotalSamples = total });
        }

        if (probabilities.Count == 0)
        {
            throw new ArgumentException("ConformalEstimator needs labelled validation data; FitData.Validation has no batches.", nameof(data));
        }

        var classifier = ConformalClassifier.Fit(torch.cat(probabilities, 0), torch.cat(labels, 0), Options);
        try
        {
            classifier.Thresholds(Alpha);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentException($"The validation data are too few for alpha = {Alpha}: {e.Message}", nameof(data), e);
        }

        Classifier = classifier;
    }

    /// <inheritdoc />
    /// <remarks>The estimate holds the model's probabilities <c>(N, C)</c> and, as scores, the set sizes at <see cref="Alpha"/> (in the probabilities' dtype).</remarks>
    public UncertaintyEstimate Estimate(Tensor inputs)
    {
        var classifier = Classifier ?? throw new InvalidOperationException(
            "This ConformalEstimator calibrates its sets: call Fit(FitData) with labelled validation data before Estimate.");
        using var scope = torch.NewDisposeScope();
        using var output = model.Forward(inputs);
        var probabilities = Probabilities(output.Logits);
        using var sets = classifier.Predict(probabilities, Alpha);
        var scores = sets.Sizes.to(probabilities.dtype);
        return new UncertaintyEstimate(probabilities.MoveToOuterDisposeScope(), OutputDtype.PerCase(scores).MoveToOuterDisposeScope());
    }

    private Tensor Probabilities(Tensor logits)
    {
        var probabilities = ProbabilityConversion.ToProbabilities(logits, model.OutputKind);
        if (probabilities.dim() != 2)
        {
            throw new ArgumentException(
                $"Conformal classification sets need outputs of one row per case, (N, C) or (N); found probabilities of shape {Preconditions.ShapeText(probabilities)}. Use ConformalRiskControl for segmentation maps.",
                "inputs");
        }

        return probabilities;
    }
}
