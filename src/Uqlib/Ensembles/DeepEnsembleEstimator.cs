using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using TorchSharp;
using Uqlib.Calibration;
using static TorchSharp.torch;

namespace Uqlib.Ensembles;

/// <summary>The deep-ensemble estimator: runs every member on each batch, averages their probabilities and reports an <see cref="EnsembleScore"/> of their disagreement.</summary>
/// <remarks>
/// <para>Lakshminarayanan et al. 2017, "Simple and scalable predictive uncertainty estimation using deep ensembles"; the members may equally be the
/// sub-models of a k-fold cross-validation. Members are run one after the other and folded into running sums, so memory holds a few
/// tensors of one member's output size, however many members there are.</para>
/// <para>For segmentation outputs <c>(N, C, H, W[, D])</c> the estimate carries the per-pixel map and each image's score is the map's mean.
/// For regression members the prediction is the members' mean and the score is the variance of the members' predictions (summed over
/// outputs for <c>(N, D)</c>); choose <see cref="EnsembleScore.Variance"/> or <see cref="EnsembleScore.TotalVariance"/> there.
/// Not thread-safe when a member is not; <see cref="Fit(FitData)"/> changes the estimator.</para>
/// <para>Optionally each member is calibrated on its own (e.g. temperature scaling, Guo et al. 2017): with a calibration method the estimator has
/// <see cref="Requirements.LabelledValidationData"/>, <see cref="Fit(FitData)"/> runs every member over the validation batches and fits one calibrator
/// per member on that member's logits, and <see cref="Estimate"/> averages the calibrated member probabilities and computes every measure on them.
/// Calibrating per member, not the average, keeps the measures of disagreement (mutual information, disagreement, pairwise KL) measures
/// between calibrated members, and works with any <see cref="ICalibrator"/> fitted on logits (the average has none). Ashukha et al. 2020,
/// "Pitfalls of in-domain uncertainty estimation and ensembling in deep learning", whose calibrated log-likelihood compares ensembles after
/// temperature scaling, fit one temperature to the log of the averaged prediction instead (as <c>TestTimeAugmentationEstimator</c> does);
/// an average of calibrated members can be under-confident when the members disagree (Wu &amp; Gales 2021, "Should ensemble members be
/// calibrated?"), so check the ensemble's calibration on held-out data.</para>
/// </remarks>
public sealed class DeepEnsembleEstimator : IUncertaintyEstimator
{
    private readonly IModel[] members;
    private readonly Func<Tensor, Tensor, ICalibrator>? calibration;
    private ICalibrator[]? calibrators;

    /// <summary>Initializes a new instance of the <see cref="DeepEnsembleEstimator"/> class.</summary>
    /// <param name="members">The ensemble's models, at least 2, all with the same <see cref="OutputKind"/>; not disposed.</param>
    /// <param name="score">The measure to report.</param>
    /// <exception cref="ArgumentNullException"><paramref name="members"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">There are fewer than 2 members, their output kinds differ, or the score does not suit regression members.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="score"/> is not a defined <see cref="EnsembleScore"/>.</exception>
    public DeepEnsembleEstimator(IReadOnlyList<IModel> members, EnsembleScore score = EnsembleScore.MutualInformation)
    {
        Preconditions.NotNull(members, nameof(members));
        if (members.Count < 2)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"members must hold at least 2 models (an ensemble of one has no variability); found {members.Count}."),
                nameof(members));
        }

        this.members = new IModel[members.Count];
        for (var m = 0; m < members.Count; m++)
        {
            this.members[m] = members[m] ?? throw new ArgumentNullException(nameof(members), $"members[{m}] is null.");
            if (members[m].OutputKind != members[0].OutputKind)
            {
                throw new ArgumentException(
                    $"Every member must have one output kind; members[{m}] has {members[m].OutputKind} but members[0] has {members[0].OutputKind}.", nameof(members));
            }
        }

        OutputKind = members[0].OutputKind;
        Score = VariabilityEstimates.CheckScore(score, OutputKind);
    }

    /// <summary>Initializes a new instance of the <see cref="DeepEnsembleEstimator"/> class that fits one calibrator per member in <see cref="Fit(FitData)"/> and averages calibrated probabilities.</summary>
    /// <param name="members">The ensemble's models, at least 2, all outputting logits of one <see cref="OutputKind"/>; not disposed.</param>
    /// <param name="score">The measure to report.</param>
    /// <param name="calibration">Fits a calibrator on one member's validation logits and the labels, e.g. <c>TemperatureScaling.Fit</c>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="members"/>, one of its items or <paramref name="calibration"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">There are fewer than 2 members, their output kinds differ, or they do not output logits.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="score"/> is not a defined <see cref="EnsembleScore"/>.</exception>
    public DeepEnsembleEstimator(IReadOnlyList<IModel> members, EnsembleScore score, Func<Tensor, Tensor, ICalibrator> calibration)
        : this(members, score)
    {
        this.calibration = Preconditions.NotNull(calibration, nameof(calibration));
        CheckLogits(OutputKind, nameof(members));
    }

    /// <summary>Initializes a new instance of the <see cref="DeepEnsembleEstimator"/> class with already fitted (e.g. loaded) calibrators, one per member; it needs no fitting.</summary>
    /// <param name="members">The ensemble's models, at least 2, all outputting logits of one <see cref="OutputKind"/>; not disposed.</param>
    /// <param name="score">The measure to report.</param>
    /// <param name="calibrators">The fitted calibrators; <c>calibrators[m]</c> maps <c>members[m]</c>'s logits.</param>
    /// <exception cref="ArgumentNullException"><paramref name="members"/>, <paramref name="calibrators"/> or one of their items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">There are fewer than 2 members, their output kinds differ, they do not output logits, or there is not one calibrator per member.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="score"/> is not a defined <see cref="EnsembleScore"/>.</exception>
    public DeepEnsembleEstimator(IReadOnlyList<IModel> members, EnsembleScore score, IReadOnlyList<ICalibrator> calibrators)
        : this(members, score)
    {
        CheckLogits(OutputKind, nameof(members));
        this.calibrators = CheckCalibrators(calibrators, this.members.Length, nameof(calibrators), "members");
    }

    /// <summary>Gets the measure this estimator reports.</summary>
    public EnsembleScore Score { get; }

    /// <summary>Gets the members' common output kind.</summary>
    public OutputKind OutputKind { get; }

    /// <summary>Gets the number of members.</summary>
    public int MemberCount => members.Length;

    /// <summary>Gets the members' calibrators in use (<c>Calibrators[m]</c> for <c>members[m]</c>): the given ones, the ones fitted by <see cref="Fit(FitData)"/>, or <see langword="null"/> before fitting or when uncalibrated.</summary>
    public IReadOnlyList<ICalibrator>? Calibrators => calibrators;

    /// <inheritdoc />
    public string Name => calibrators is null && calibration is null ? "Ensemble " + Score : "Calibrated ensemble " + Score;

    /// <inheritdoc />
    public Requirements Requirements => calibration is null ? Requirements.SeveralModels : Requirements.SeveralModels | Requirements.LabelledValidationData;

    /// <inheritdoc />
    public void Fit(FitData data)
    {
        Fit(data, null, CancellationToken.None);
    }

    /// <summary>Fits one calibrator per member on the validation batches when the estimator was given a calibration method; otherwise a no-op.</summary>
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

        var batches = data.RequireValidation(nameof(DeepEnsembleEstimator));
        using var scope = torch.NewDisposeScope();
        var logits = new List<Tensor>[members.Length];
        for (var m = 0; m < members.Length; m++)
        {
            logits[m] = new List<Tensor>();
        }

        var labels = new List<Tensor>();
        var index = 0;
        long samples = 0;
        var total = EstimationProgress.TotalOf(batches);
        foreach (var batch in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var firstShape = string.Empty;
            for (var m = 0; m < members.Length; m++)
            {
                using var output = members[m].Forward(batch.Inputs);
                var rows = CalibratedOutputs.ToRows(output.Logits, OutputKind);
                var shape = Preconditions.ShapeText(output.Logits);
                if (m == 0)
                {
                    firstShape = shape;
                    labels.Add(CalibratedOutputs.Labels(batch, index, rows.shape[0], nameof(DeepEnsembleEstimator)));
                }
                else if (shape != firstShape)
                {
                    throw new InvalidOperationException(
                        $"Every member must give outputs of one shape; on validation batch {index} members[{m}] gave {shape} but members[0] gave {firstShape}.");
                }

                logits[m].Add(rows.cpu());
            }

            index++;
            samples += batch.Count;
            progress?.Report(new EstimationProgress(index, samples) { TotalSamples = total });
        }

        if (labels.Count == 0)
        {
            throw new ArgumentException("DeepEnsembleEstimator needs labelled validation data; FitData.Validation has no batches.", nameof(data));
        }

        var allLabels = torch.cat(labels, 0);
        var fitted = new ICalibrator[members.Length];
        for (var m = 0; m < members.Length; m++)
        {
            fitted[m] = calibration(torch.cat(logits[m], 0), allLabels);
        }

        calibrators = fitted;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A member's output is invalid (NaN, ±∞, not probabilities).</exception>
    /// <exception cref="InvalidOperationException">Two members return outputs of different shapes.</exception>
    /// <exception cref="InvalidOperationException">The estimator calibrates its members and <see cref="Fit(FitData)"/> has not been called.</exception>
    public UncertaintyEstimate Estimate(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (calibration is not null && calibrators is null)
        {
            throw new InvalidOperationException(
                "This DeepEnsembleEstimator calibrates its members: call Fit(FitData) with labelled validation data before Estimate.");
        }

        using var accumulator = new EnsembleAccumulator(VariabilityEstimates.AccumulatedScore(Score, OutputKind));
        string? firstShape = null;
        for (var m = 0; m < members.Length; m++)
        {
            using var scope = torch.NewDisposeScope();
            using var output = members[m].Forward(inputs);
            var shape = Preconditions.ShapeText(output.Logits);
            firstShape ??= shape;
            if (shape != firstShape)
            {
                throw new InvalidOperationException(
                    $"Every member must give outputs of one shape; members[{m}] gave {shape} but members[0] gave {firstShape}.");
            }

            accumulator.Add(calibrators is null
                ? VariabilityEstimates.ToAccumulated(output.Logits, OutputKind, "output")
                : Calibrated(calibrators[m], output.Logits, OutputKind, "output"));
        }

        return VariabilityEstimates.Finish(accumulator, OutputKind);
    }

    /// <summary>Estimates from member outputs computed elsewhere (e.g. by models run in Python), stacked along dimension 0.</summary>
    /// <param name="memberOutputs">Raw member outputs <c>(M, N, …)</c>, M ≥ 2, each as <paramref name="kind"/> says (logits, probabilities or regression values).</param>
    /// <param name="kind">How each member's output becomes probabilities.</param>
    /// <param name="score">The measure to report.</param>
    /// <returns>The mean prediction, one score per sample and, for segmentation, the per-pixel map; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="memberOutputs"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The outputs have fewer than 2 members or no samples, are invalid for <paramref name="kind"/>, or the score does not suit regression.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="score"/> or <paramref name="kind"/> is undefined.</exception>
    public static UncertaintyEstimate EstimateFromOutputs(Tensor memberOutputs, OutputKind kind, EnsembleScore score = EnsembleScore.MutualInformation)
    {
        EnsembleScores.CheckMembers(memberOutputs, nameof(memberOutputs), 2);
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, $"kind must be a defined OutputKind; found {kind}.");
        }

        VariabilityEstimates.CheckScore(score, kind);
        Preconditions.Finite(memberOutputs, nameof(memberOutputs));
        using var accumulator = new EnsembleAccumulator(VariabilityEstimates.AccumulatedScore(score, kind));
        for (long m = 0; m < memberOutputs.shape[0]; m++)
        {
            using var scope = torch.NewDisposeScope();
            accumulator.Add(VariabilityEstimates.ToAccumulated(memberOutputs[m], kind, nameof(memberOutputs)));
        }

        return VariabilityEstimates.Finish(accumulator, kind);
    }

    /// <summary>Estimates from member logits computed elsewhere, each member calibrated by its own fitted calibrator, stacked along dimension 0.</summary>
    /// <param name="memberOutputs">Member logits <c>(M, N, …)</c>, M ≥ 2, each as <paramref name="kind"/> says.</param>
    /// <param name="kind"><see cref="OutputKind.MulticlassLogits"/> or <see cref="OutputKind.BinaryLogit"/>.</param>
    /// <param name="calibrators">One fitted calibrator per member, e.g. <c>TemperatureScaling.Fit(validationLogits[m], labels)</c>.</param>
    /// <param name="score">The measure to report.</param>
    /// <returns>The mean calibrated prediction, one score per sample and, for segmentation, the per-pixel map; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="memberOutputs"/>, <paramref name="calibrators"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The outputs have fewer than 2 members or no samples, are not finite, <paramref name="kind"/> has no logits, there is not one calibrator per member, or a calibrator does not fit the logits.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="score"/> or <paramref name="kind"/> is undefined.</exception>
    public static UncertaintyEstimate EstimateFromOutputs(
        Tensor memberOutputs, OutputKind kind, IReadOnlyList<ICalibrator> calibrators, EnsembleScore score = EnsembleScore.MutualInformation)
    {
        EnsembleScores.CheckMembers(memberOutputs, nameof(memberOutputs), 2);
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, $"kind must be a defined OutputKind; found {kind}.");
        }

        CheckLogits(kind, nameof(kind));
        VariabilityEstimates.CheckScore(score, kind);
        var fitted = CheckCalibrators(calibrators, memberOutputs.shape[0], nameof(calibrators), nameof(memberOutputs));
        Preconditions.Finite(memberOutputs, nameof(memberOutputs));
        using var accumulator = new EnsembleAccumulator(score);
        for (var m = 0; m < fitted.Length; m++)
        {
            using var scope = torch.NewDisposeScope();
            accumulator.Add(Calibrated(fitted[m], memberOutputs[m], kind, nameof(memberOutputs)));
        }

        return VariabilityEstimates.Finish(accumulator, kind);
    }

    private static void CheckLogits(OutputKind kind, string name)
    {
        if (kind is not (OutputKind.MulticlassLogits or OutputKind.BinaryLogit))
        {
            throw new ArgumentException($"A calibrator maps logits; the members output {kind}.", name);
        }
    }

    private static ICalibrator[] CheckCalibrators(IReadOnlyList<ICalibrator> calibrators, long count, string name, string membersName)
    {
        Preconditions.NotNull(calibrators, name);
        if (calibrators.Count != count)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{name} must hold one calibrator per member ({membersName} has {count}); found {calibrators.Count}."), name);
        }

        var copy = new ICalibrator[calibrators.Count];
        for (var m = 0; m < copy.Length; m++)
        {
            copy[m] = calibrators[m] ?? throw new ArgumentNullException(name, $"{name}[{m}] is null.");
        }

        return copy;
    }

    /// <summary>One member's calibrated probabilities in its output's layout; a calibrator that rejects the logits is reported with the member's name.</summary>
    private static Tensor Calibrated(ICalibrator calibrator, Tensor output, OutputKind kind, string name)
    {
        try
        {
            return CalibratedOutputs.Probabilities(calibrator, output, kind);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"The model's {name} is invalid for its calibrator: {e.Message}", name, e);
        }
    }
}
