using System;
using System.Collections.Generic;
using System.Globalization;
using TorchSharp;
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
/// Temperature scaling of the averaged prediction is not part of this estimator. Not thread-safe when a member is not.</para>
/// </remarks>
public sealed class DeepEnsembleEstimator : IUncertaintyEstimator
{
    private readonly IModel[] members;

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

    /// <summary>Gets the measure this estimator reports.</summary>
    public EnsembleScore Score { get; }

    /// <summary>Gets the members' common output kind.</summary>
    public OutputKind OutputKind { get; }

    /// <summary>Gets the number of members.</summary>
    public int MemberCount => members.Length;

    /// <inheritdoc />
    public string Name => "Ensemble " + Score;

    /// <inheritdoc />
    public Requirements Requirements => Requirements.SeveralModels;

    /// <inheritdoc />
    /// <remarks>Nothing is fitted: the members are given to the constructor.</remarks>
    public void Fit(FitData data)
    {
        ArgumentNullException.ThrowIfNull(data);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A member's output is invalid (NaN, ±∞, not probabilities).</exception>
    /// <exception cref="InvalidOperationException">Two members return outputs of different shapes.</exception>
    public UncertaintyEstimate Estimate(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
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

            var values = VariabilityEstimates.ToAccumulated(output.Logits, OutputKind, "output");

            accumulator.Add(values);
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
}
