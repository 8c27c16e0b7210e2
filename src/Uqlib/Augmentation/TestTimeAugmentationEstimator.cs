using System;
using System.Collections.Generic;
using TorchSharp;
using Uqlib.Ensembles;
using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>The test-time-augmentation estimator: runs the model on augmented copies of each batch, maps dense outputs back, averages the probabilities and reports an <see cref="EnsembleScore"/> of their variability across augmentations.</summary>
/// <remarks>
/// <para>Wang et al. 2019, "Aleatoric uncertainty estimation with test-time augmentation for medical image segmentation with convolutional
/// neural networks"; Ayhan &amp; Berens 2018, "Test-time data augmentation for estimation of heteroscedastic aleatoric uncertainty in deep
/// neural networks". The augmented copies go to the model together, in one forward pass of copies × N samples, or in passes of at most
/// <see cref="TtaOptions.MaxAugmentedBatchSize"/> samples. Each copy's probabilities are folded into running sums, so memory holds a few
/// tensors of one output's size besides the forward pass itself.</para>
/// <para>For segmentation outputs <c>(N, C, H, W[, D])</c> each geometric augmentation's output is inverted before it is averaged; the estimate
/// carries the per-pixel map and each image's score is the map's mean. For classification and regression, an augmentation may not change the
/// input's shape. For regression the prediction is the mean over augmentations and the score the variance (summed over outputs).
/// Temperature scaling of the averaged prediction is not part of this estimator. Not thread-safe when the model is not.</para>
/// </remarks>
public sealed class TestTimeAugmentationEstimator : IUncertaintyEstimator
{
    private readonly IModel model;
    private readonly TtaOptions options;

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

    /// <summary>Gets the policy whose augmentations are applied.</summary>
    public TtaPolicy Policy { get; }

    /// <summary>Gets the measure this estimator reports.</summary>
    public EnsembleScore Score { get; }

    /// <inheritdoc />
    public string Name => "TTA " + Score;

    /// <inheritdoc />
    public Requirements Requirements => Requirements.None;

    /// <inheritdoc />
    /// <remarks>Nothing is fitted: the policy is given to the constructor.</remarks>
    public void Fit(FitData data)
    {
        ArgumentNullException.ThrowIfNull(data);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The inputs are not images <c>(N, C, H, W)</c> or volumes <c>(N, C, D, H, W)</c>; the model's output is invalid; or an augmentation changes the shape of an input whose output is not dense.</exception>
    public UncertaintyEstimate Estimate(Tensor inputs)
    {
        SpatialTensors.Check(inputs, nameof(inputs));
        var kind = model.OutputKind;
        using var accumulator = new EnsembleAccumulator(VariabilityEstimates.AccumulatedScore(Score, kind));
        var count = inputs.shape[0];
        var perPass = options.MaxAugmentedBatchSize is { } limit ? (int)Math.Max(1, limit / count) : Policy.Count;
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

        return VariabilityEstimates.Finish(accumulator, kind);
    }
}
