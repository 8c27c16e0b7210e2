using System;
using System.Threading;
using TorchSharp;
using Uqlib.Models;
using static TorchSharp.torch;

namespace Uqlib.Scores;

/// <summary>
/// ODIN: the maximum softmax probability at a high temperature of an input nudged, by one signed-gradient step, towards a more
/// confident prediction; needs the network's input gradients (<see cref="Requirements.WhiteBoxNetwork"/>) and no fitting.
/// </summary>
/// <remarks>
/// <para>Liang, Li &amp; Srikant 2018, "Enhancing the reliability of out-of-distribution image detection in neural networks" (ICLR), as
/// the authors' code: with logits f(x) and ŷ = argmax f(x), x̃ = x − ε·sign(∇ₓ CE(f(x)/T, ŷ)), the sign taken as +1 where the gradient
/// is ≥ 0 (their <c>torch.ge(grad, 0)</c>); score(x) = −max softmax(f(x̃)/T), so higher is more OOD. T = 1000, ε = 0.0014 by default.
/// The perturbation raises the softmax score of in-distribution inputs more than that of OOD inputs.</para>
/// <para>The model must be a <see cref="TorchModuleModel"/> or a <see cref="TorchScriptModel"/> with multiclass logits: gradients are taken
/// with autograd outside inference mode (the estimator leaves inference mode for its own pass, even inside a caller's), in evaluation
/// mode, with <c>torch.autograd.grad</c> so that no parameter's <c>.grad</c> is touched. Each chunk of <see cref="ModelOptions.MaxBatchSize"/>
/// costs one forward and backward pass and one more forward pass. The probabilities reported are the model's on the unperturbed input.
/// Scores are float64. Not thread-safe when the model is not.</para>
/// </remarks>
public sealed class OdinEstimator : IUncertaintyEstimator
{
    private readonly IWhiteBoxModel model;

    /// <summary>Initializes a new instance of the <see cref="OdinEstimator"/> class.</summary>
    /// <param name="model">The network: a <see cref="TorchModuleModel"/> or <see cref="TorchScriptModel"/> with <see cref="OutputKind.MulticlassLogits"/>; not disposed.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="OdinOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The model is a black box (e.g. a <see cref="DelegateModel"/> or an ONNX model), does not output multiclass logits, or an option is out of range.</exception>
    public OdinEstimator(IModel model, OdinOptions? options = null)
    {
        this.model = WhiteBoxModels.Require(model, "ODIN", nameof(model));
        if (model.OutputKind != OutputKind.MulticlassLogits)
        {
            throw new ArgumentException($"ODIN needs a model with multiclass logits (softmax); the model's output kind is {model.OutputKind}.", nameof(model));
        }

        Options = options ?? OdinOptions.Default;
        Options.Validate();
    }

    /// <summary>Gets the options.</summary>
    public OdinOptions Options { get; }

    /// <inheritdoc />
    public string Name => "ODIN";

    /// <inheritdoc />
    public Requirements Requirements => Requirements.WhiteBoxNetwork;

    /// <summary>Does nothing: ODIN needs no fitting.</summary>
    /// <param name="data">The data; not used.</param>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    public void Fit(FitData data) => Fit(data, null);

    /// <summary>Does nothing: ODIN needs no fitting; reports no progress.</summary>
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
    /// <exception cref="ArgumentException"><paramref name="inputs"/> is empty, of rank 0 or above 8, or not floating point (a gradient needs real inputs).</exception>
    /// <exception cref="InvalidOperationException">The model failed, or returned logits other than <c>(N, C)</c> with C ≥ 2.</exception>
    public UncertaintyEstimate Estimate(Tensor inputs)
    {
        Preconditions.Tensor(inputs, nameof(inputs), 1, 8);
        if (!inputs.is_floating_point())
        {
            throw new ArgumentException($"inputs must be floating point for ODIN's input gradient; found dtype {inputs.dtype}.", nameof(inputs));
        }

        var count = inputs.shape[0];
        var chunk = model.Options.MaxBatchSize ?? count;
        using var probabilities = new RowBuffer("ODIN's probabilities", count);
        using var scores = new RowBuffer("ODIN's scores", count);
        for (long start = 0; start < count; start += chunk)
        {
            using var scope = torch.NewDisposeScope();
            var (p, s) = EstimateChunk(inputs.narrow(0, start, Math.Min(chunk, count - start)));
            probabilities.Append(p);
            scores.Append(s);
        }

        return new UncertaintyEstimate(probabilities.Take(), scores.Take());
    }

    /// <summary>Describes the estimator, e.g. <c>OdinEstimator(T=1000, eps=0.0014)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"OdinEstimator(T={Options.Temperature:G5}, eps={Options.Noise:G5})");
    }

    private (Tensor Probabilities, Tensor Scores) EstimateChunk(Tensor inputs)
    {
        var temperature = Options.Temperature;
        Tensor perturbed;
        Tensor probabilities;
        using (torch.inference_mode(false))
        using (torch.enable_grad())
        {
            var device = model.Options.Device;
            var x = (device is null ? inputs : inputs.to(device)).detach().clone().requires_grad_(true);
            var logits = WhiteBoxModels.Logits(model, x, Name);
            var predicted = logits.detach().argmax(1);
            var loss = torch.nn.functional.cross_entropy(logits.div(temperature), predicted);
            var gradient = torch.autograd.grad(new[] { loss }, new[] { x })[0];
            var direction = gradient.ge(0).to(x.dtype).sub_(0.5).mul_(2.0);
            perturbed = x.detach().sub(direction.mul_(Options.Noise));
            probabilities = ProbabilityConversion.ToProbabilities(logits.detach(), OutputKind.MulticlassLogits);
        }

        using (torch.no_grad())
        {
            var logits = WhiteBoxModels.Logits(model, perturbed, Name);
            var scores = logits.to(ScalarType.Float64).div_(temperature).softmax(1).amax(new long[] { 1 }).neg_();
            return (probabilities, scores);
        }
    }
}
