using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using TorchSharp;
using Uqlib.Models;
using static TorchSharp.torch;

namespace Uqlib.Ensembles;

/// <summary>
/// MC dropout: K forward passes of one network with its dropout layers kept stochastic (everything else, batch norm included, in
/// evaluation mode), treated as an ensemble of K members; needs the network (<see cref="Requirements.WhiteBoxNetwork"/>) and no fitting.
/// </summary>
/// <remarks>
/// <para>Gal &amp; Ghahramani 2016, "Dropout as a Bayesian approximation: Representing model uncertainty in deep learning" (ICML): the
/// predictive distribution is the mean of the K passes' softmax outputs, and their disagreement (by default the mutual information,
/// BALD) measures model uncertainty. The passes are folded into the same running sums as <see cref="DeepEnsembleEstimator"/>, so memory
/// holds a few tensors of one pass's output size whatever K is; segmentation outputs give a per-pixel map as there.</para>
/// <para>The module runs in evaluation mode throughout (batch norm uses its running statistics, which are never updated); a forward
/// hook on each layer of type <c>Dropout</c>, <c>Dropout1d</c>, <c>Dropout2d</c>, <c>Dropout3d</c>, <c>AlphaDropout</c> or
/// <c>FeatureAlphaDropout</c> applies that layer's training-mode dropout (PyTorch's formula, with the layer's p) to its output for the
/// duration of a pass. Dropout called as a function inside a module's <c>forward</c> stays off. The model must be a <see cref="TorchModuleModel"/>: a <see cref="TorchScriptModel"/> is refused because TorchScript does
/// not expose the types of its submodules and a traced module has dropout's training flag baked into its graph.</para>
/// <para>The masks come from a private generator on the outputs' device, seeded with <see cref="McDropoutOptions.Seed"/> at each
/// <see cref="Estimate"/>: an estimate depends only on the seed and the inputs, not on what ran before or on other threads, and the
/// default generator is not touched. On the CPU the masks are those PyTorch's dropout draws after <c>torch.manual_seed(seed)</c> (the
/// golden test checks it). Not thread-safe when the module is not (the hooks are registered on it during a call).</para>
/// </remarks>
public sealed class McDropoutEstimator : IUncertaintyEstimator
{
    private readonly TorchModuleModel model;
    private readonly IReadOnlyList<(string Name, nn.Module Layer)> dropoutLayers;

    /// <summary>Initializes a new instance of the <see cref="McDropoutEstimator"/> class.</summary>
    /// <param name="model">The network, a <see cref="TorchModuleModel"/> whose module holds at least one dropout layer; not disposed.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="McDropoutOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The model is not a <see cref="TorchModuleModel"/> (a delegate, ONNX or TorchScript model), has no dropout layer, an
    /// option is out of range, or the score does not suit a regression model.</exception>
    public McDropoutEstimator(IModel model, McDropoutOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model is TorchScriptModel)
        {
            throw new ArgumentException(
                "MC dropout needs a TorchModuleModel: a TorchScriptModel's submodule types are not visible from TorchSharp and a traced module " +
                "has dropout's training flag baked into its graph, so its dropout layers cannot be switched on alone.",
                nameof(model));
        }

        this.model = WhiteBoxModels.Require(model, "MC dropout", nameof(model)) as TorchModuleModel ?? throw new ArgumentException(
            $"MC dropout needs a TorchModuleModel; model is a {model.GetType().Name}.", nameof(model));
        Options = options ?? McDropoutOptions.Default;
        Options.Validate();
        VariabilityEstimates.CheckScore(Options.Score, model.OutputKind);
        dropoutLayers = this.model.DropoutLayers();
        if (dropoutLayers.Count == 0)
        {
            throw new ArgumentException(
                "MC dropout needs a module with at least one dropout layer (Dropout, Dropout1d/2d/3d, AlphaDropout, FeatureAlphaDropout); the model has none.",
                nameof(model));
        }
    }

    /// <summary>Gets the options.</summary>
    public McDropoutOptions Options { get; }

    /// <summary>Gets the names of the dropout layers that are made stochastic, as in <c>named_modules()</c>.</summary>
    public IReadOnlyList<string> DropoutLayers
    {
        get
        {
            var names = new string[dropoutLayers.Count];
            for (var i = 0; i < names.Length; i++)
            {
                names[i] = dropoutLayers[i].Name;
            }

            return names;
        }
    }

    /// <inheritdoc />
    public string Name => "MC dropout " + Options.Score;

    /// <inheritdoc />
    public Requirements Requirements => Requirements.WhiteBoxNetwork;

    /// <summary>Does nothing: MC dropout needs no fitting.</summary>
    /// <param name="data">The data; not used.</param>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    public void Fit(FitData data) => Fit(data, null);

    /// <summary>Does nothing: MC dropout needs no fitting; reports no progress.</summary>
    /// <param name="data">The data; not used.</param>
    /// <param name="progress">Not used: there is nothing to report.</param>
    /// <param name="cancellationToken">Checked once.</param>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public void Fit(FitData data, IProgress<EstimationProgress>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="inputs"/> is empty or has rank 0, or the model's outputs are invalid for its output kind.</exception>
    /// <exception cref="InvalidOperationException">The module failed in native code.</exception>
    public UncertaintyEstimate Estimate(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var kind = model.OutputKind;
        using var accumulator = new EnsembleAccumulator(VariabilityEstimates.AccumulatedScore(Options.Score, kind));
        using var masks = new DropoutMasks(Options.Seed);
        for (var k = 0; k < Options.Passes; k++)
        {
            using var scope = torch.NewDisposeScope();
            using var output = model.ForwardReplacing(inputs, dropoutLayers, masks.Apply);
            accumulator.Add(VariabilityEstimates.ToAccumulated(output.Logits, kind, "output"));
        }

        return VariabilityEstimates.Finish(accumulator, kind);
    }

    /// <summary>Describes the estimator, e.g. <c>McDropoutEstimator(K=20, seed=0, score=MutualInformation, layers=2)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        return string.Create(CultureInfo.InvariantCulture,
            $"McDropoutEstimator(K={Options.Passes}, seed={Options.Seed}, score={Options.Score}, layers={dropoutLayers.Count})");
    }
}
