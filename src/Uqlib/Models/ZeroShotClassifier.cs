using System;
using System.Collections.Generic;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Models;

/// <summary>A zero-shot classifier from a vision–language foundation model used as a black box: an image encoder (any <see cref="IModel"/> returning embeddings) and class text embeddings computed anywhere. Owns a copy of the class embeddings; every member throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.</summary>
/// <remarks>
/// <para>
/// CLIP's zero-shot rule (Radford et al. 2021, "Learning transferable visual models from natural language supervision"): the logit of
/// class c for an image embedding v is cos(v, z_c) / τ, with τ = 0.01 by default (<see cref="ZeroShotOptions.Temperature"/>). The
/// output kind is <see cref="OutputKind.MulticlassLogits"/>, so every score, calibrator and estimator of the library applies; the
/// normalised image embeddings are returned as the features, for the latent detectors and for
/// <see cref="Scores.OodScores.MaxConceptMatching(Tensor, Tensor, double)"/>.
/// </para>
/// <para>
/// Class embeddings are given as <c>(C, D)</c>, one text embedding per class, or as a prompt ensemble <c>(C, P, D)</c>, P prompts per
/// class (e.g. "a photo of a {c}", "a CT scan showing {c}"). A prompt ensemble is used two ways: averaged, as CLIP's "_ENS" (each prompt
/// embedding normalised, averaged over the P prompts, normalised again), which <see cref="Forward"/> does; and as an ensemble source,
/// one member per prompt, through <see cref="PromptLogits"/> <c>(P, N, C)</c> (for <see cref="Ensembles.EnsembleScores"/> after a
/// softmax) or <see cref="PromptMembers"/> (for <see cref="Ensembles.DeepEnsembleEstimator"/>). The class embeddings are kept in float64
/// and cast to the image embeddings' floating dtype and device; the logits have that dtype. An all-zero embedding normalises to zero
/// (cosine 0). Thread-safe when the encoder is.
/// </para>
/// </remarks>
public sealed class ZeroShotClassifier : IModel, IDisposable
{
    private readonly IModel encoder;
    private readonly ZeroShotOptions options;
    private readonly Tensor averaged;   // (C, D), unit rows
    private readonly Tensor prompts;    // (P, C, D), unit rows
    private bool disposed;

    /// <summary>Initializes a new instance of the <see cref="ZeroShotClassifier"/> class.</summary>
    /// <param name="imageEncoder">The image encoder, returning embeddings <c>(N, D)</c> where <see cref="ZeroShotOptions.Embedding"/> says; not disposed by the classifier.</param>
    /// <param name="classEmbeddings">Class text embeddings <c>(C, D)</c> or a prompt ensemble <c>(C, P, D)</c>, C ≥ 2, finite; copied, not disposed.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="ZeroShotOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="imageEncoder"/> or <paramref name="classEmbeddings"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The class embeddings are not of rank 2 or 3, have fewer than 2 classes, no prompt or dimension, or are not finite; an option is out of range.</exception>
    public ZeroShotClassifier(IModel imageEncoder, Tensor classEmbeddings, ZeroShotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(imageEncoder);
        Preconditions.Tensor(classEmbeddings, nameof(classEmbeddings), 2, 3);
        this.options = options ?? ZeroShotOptions.Default;
        this.options.Validate();
        if (classEmbeddings.shape[0] < 2 || classEmbeddings.shape[^1] < 1 || (classEmbeddings.dim() == 3 && classEmbeddings.shape[1] < 1))
        {
            throw new ArgumentException(
                $"classEmbeddings must be (C, D) or (C, P, D) with at least 2 classes, 1 prompt and 1 dimension; found shape {Preconditions.ShapeText(classEmbeddings)}.",
                nameof(classEmbeddings));
        }

        Preconditions.Finite(classEmbeddings, nameof(classEmbeddings));
        encoder = imageEncoder;
        using var scope = torch.NewDisposeScope();
        var z = classEmbeddings.detach().to(ScalarType.Float64);
        z = z.dim() == 2 ? z.unsqueeze(1) : z;
        var unit = Normalise(z);
        averaged = Normalise(unit.mean(new long[] { 1 })).DetachFromDisposeScope();
        prompts = unit.transpose(0, 1).contiguous().DetachFromDisposeScope();
    }

    /// <summary>Gets how the logits become probabilities: always <see cref="OutputKind.MulticlassLogits"/> (softmax over the classes).</summary>
    /// <exception cref="ObjectDisposedException">The classifier has been disposed.</exception>
    public OutputKind OutputKind
    {
        get
        {
            ThrowIfDisposed();
            return OutputKind.MulticlassLogits;
        }
    }

    /// <summary>Gets the number of classes C.</summary>
    /// <exception cref="ObjectDisposedException">The classifier has been disposed.</exception>
    public int ClassCount
    {
        get
        {
            ThrowIfDisposed();
            return (int)averaged.shape[0];
        }
    }

    /// <summary>Gets the number of prompts per class P (1 for class embeddings given as <c>(C, D)</c>).</summary>
    /// <exception cref="ObjectDisposedException">The classifier has been disposed.</exception>
    public int PromptCount
    {
        get
        {
            ThrowIfDisposed();
            return (int)prompts.shape[0];
        }
    }

    /// <summary>Gets the embedding dimension D.</summary>
    /// <exception cref="ObjectDisposedException">The classifier has been disposed.</exception>
    public long Dimension
    {
        get
        {
            ThrowIfDisposed();
            return averaged.shape[1];
        }
    }

    /// <summary>Gets the temperature τ.</summary>
    /// <exception cref="ObjectDisposedException">The classifier has been disposed.</exception>
    public double Temperature
    {
        get
        {
            ThrowIfDisposed();
            return options.Temperature;
        }
    }

    /// <summary>Gets a copy of the class embeddings used by <see cref="Forward"/> <c>(C, D)</c>, float64, unit rows (prompt ensembles averaged as "_ENS"); the caller owns and disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The classifier has been disposed.</exception>
    public Tensor ClassEmbeddings
    {
        get
        {
            ThrowIfDisposed();
            return averaged.clone();
        }
    }

    /// <summary>Runs the encoder and returns logits cos(v, z̄_c) / τ <c>(N, C)</c> against the (averaged) class embeddings, with the normalised image embeddings <c>(N, D)</c> as features.</summary>
    /// <param name="inputs">A batch of images, as the encoder takes them; not disposed.</param>
    /// <returns>The logits and features; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The encoder's embeddings are missing, not <c>(N, D)</c> with the class embeddings' D, or not finite.</exception>
    /// <exception cref="ObjectDisposedException">The classifier has been disposed.</exception>
    public ModelOutput Forward(Tensor inputs)
    {
        ThrowIfDisposed();
        using var scope = torch.NewDisposeScope();
        var v = Embed(inputs);
        var logits = v.matmul(averaged.to(v.dtype, v.device).t()).div_(options.Temperature);
        return new ModelOutput(logits.MoveToOuterDisposeScope(), v.MoveToOuterDisposeScope());
    }

    /// <summary>Runs the encoder once and returns the logits against each prompt's class embeddings, <c>(P, N, C)</c>: one ensemble member per prompt.</summary>
    /// <param name="inputs">A batch of images, as the encoder takes them; not disposed.</param>
    /// <returns>Logits <c>(P, N, C)</c>; after a softmax over dimension 2, member probabilities for <see cref="Ensembles.EnsembleScores"/>. The caller disposes them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The encoder's embeddings are missing, not <c>(N, D)</c> with the class embeddings' D, or not finite.</exception>
    /// <exception cref="ObjectDisposedException">The classifier has been disposed.</exception>
    public Tensor PromptLogits(Tensor inputs)
    {
        ThrowIfDisposed();
        using var scope = torch.NewDisposeScope();
        var v = Embed(inputs);
        return v.matmul(prompts.to(v.dtype, v.device).transpose(1, 2)).div_(options.Temperature).MoveToOuterDisposeScope();
    }

    /// <summary>One model per prompt, each classifying with that prompt's class embeddings: the members of a prompt ensemble for <see cref="Ensembles.DeepEnsembleEstimator"/>.</summary>
    /// <returns>P models that share this classifier's encoder and embeddings (each runs the encoder); they throw <see cref="ObjectDisposedException"/> once this classifier is disposed.</returns>
    /// <exception cref="ObjectDisposedException">The classifier has been disposed.</exception>
    public IReadOnlyList<IModel> PromptMembers()
    {
        ThrowIfDisposed();
        var members = new IModel[prompts.shape[0]];
        for (var p = 0; p < members.Length; p++)
        {
            members[p] = new PromptMember(this, p);
        }

        return members;
    }

    /// <summary>Describes the classifier, e.g. <c>ZeroShotClassifier(C=10, P=7, D=512, τ=0.01)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        return disposed
            ? "ZeroShotClassifier(disposed)"
            : string.Create(CultureInfo.InvariantCulture, $"ZeroShotClassifier(C={averaged.shape[0]}, P={prompts.shape[0]}, D={averaged.shape[1]}, τ={options.Temperature})");
    }

    /// <summary>Releases the class embeddings (not the encoder).</summary>
    public void Dispose()
    {
        disposed = true;
        averaged.Dispose();
        prompts.Dispose();
    }

    private static Tensor Normalise(Tensor value)
    {
        return nn.functional.normalize(value, 2.0, -1, 1e-12);
    }

    /// <summary>The encoder's normalised embeddings <c>(N, D)</c>, in its floating dtype (float32 for integer outputs).</summary>
    private Tensor Embed(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var output = encoder.Forward(inputs);
        var source = options.Embedding == EmbeddingSource.Features ? output.Features : output.Logits;
        if (source is null)
        {
            throw new ArgumentException("The image encoder returned no features; use EmbeddingSource.Output, or an encoder that exposes its features.", nameof(inputs));
        }

        const string name = "embeddings";
        Preconditions.Tensor(source, name, 2, 2);
        if (source.shape[1] != averaged.shape[1])
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"The image encoder's embeddings must be (N, {averaged.shape[1]}) to match the class embeddings; found {Preconditions.ShapeText(source)}."),
                nameof(inputs));
        }

        Preconditions.Finite(source, name);
        var v = source.is_floating_point() ? source.detach().clone() : source.to(ScalarType.Float32);
        return Normalise(v);
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
    }

    /// <summary>One prompt of the ensemble as a model.</summary>
    private sealed class PromptMember : IModel
    {
        private readonly ZeroShotClassifier owner;
        private readonly int prompt;

        public PromptMember(ZeroShotClassifier owner, int prompt)
        {
            this.owner = owner;
            this.prompt = prompt;
        }

        public OutputKind OutputKind => OutputKind.MulticlassLogits;

        public ModelOutput Forward(Tensor inputs)
        {
            owner.ThrowIfDisposed();
            using var scope = torch.NewDisposeScope();
            var v = owner.Embed(inputs);
            var z = owner.prompts[prompt].to(v.dtype, v.device);
            var logits = v.matmul(z.t()).div_(owner.options.Temperature);
            return new ModelOutput(logits.MoveToOuterDisposeScope(), v.MoveToOuterDisposeScope());
        }
    }
}
