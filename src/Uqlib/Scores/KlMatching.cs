using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Scores;

/// <summary>
/// KL matching (Hendrycks et al. 2022, "Scaling out-of-distribution detection for real-world settings"): one template per class, the mean
/// probability vector of the fitting samples predicted as that class; a sample's score is its smallest KL divergence to a template.
/// </summary>
/// <remarks>
/// Fit on in-distribution validation (or training) probabilities; classes never predicted there get no template and are left out of
/// the minimum (<see cref="TemplateClasses"/> says which have one). Scores are float64, higher = more out of distribution; KL uses
/// 0 log 0 = 0, and a template entry of exactly 0 counts as the smallest double (5e−324), so KL stays finite. Immutable and thread-safe; it owns its templates, exposed only as copies.
/// </remarks>
public sealed class KlMatching : IDisposable
{
    private readonly Tensor _templates;
    private readonly int[] _classes;
    private readonly int _classCount;
    private bool _disposed;

    private KlMatching(Tensor templates, int[] classes, int classCount)
    {
        _templates = templates;
        _classes = classes;
        _classCount = classCount;
    }

    /// <summary>Gets the number of classes C.</summary>
    /// <exception cref="ObjectDisposedException">The object has been disposed.</exception>
    public int ClassCount
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _classCount;
        }
    }

    /// <summary>Gets the classes that have a template (predicted at least once in the fitting data), in increasing order.</summary>
    /// <exception cref="ObjectDisposedException">The object has been disposed.</exception>
    public IReadOnlyList<int> TemplateClasses
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _classes;
        }
    }

    /// <summary>Gets a copy of the templates <c>(T, C)</c>, float64, one row per entry of <see cref="TemplateClasses"/>.</summary>
    /// <exception cref="ObjectDisposedException">The object has been disposed.</exception>
    public Tensor Templates
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _templates.clone();
        }
    }

    /// <summary>Fits the class templates on in-distribution probabilities.</summary>
    /// <param name="probabilities">Class probabilities <c>(N, C)</c> of in-distribution samples.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of in-distribution samples; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts.</param>
    /// <returns>The fitted templates; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="probabilities"/> is empty, not 2-D, or holds NaN, infinite or out-of-range values.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static KlMatching Fit(Tensor probabilities, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Preconditions.Tensor(probabilities, nameof(probabilities), 2, 2);
        ProbabilityConversion.ValidateProbabilities(probabilities, nameof(probabilities));
        using var scope = torch.NewDisposeScope();
        var p = probabilities.to(ScalarType.Float64).cpu();
        int classes = (int)p.shape[1];
        var predicted = p.argmax(1);
        var counts = torch.bincount(predicted, minlength: classes).to(ScalarType.Float64);
        var sums = torch.zeros(classes, classes, ScalarType.Float64).index_add_(0, predicted, p, 1);
        var present = counts.gt(0).nonzero().flatten();
        var templates = sums.index_select(0, present).div(counts.index_select(0, present).unsqueeze(1));
        var used = Array.ConvertAll(present.data<long>().ToArray(), c => (int)c);
        return EstimationProgress.Completed(progress, probabilities.shape[0], new KlMatching(templates.to(probabilities.device).MoveToOuterDisposeScope(), used, classes));
    }

    /// <summary>Scores samples by their smallest KL divergence KL(p ‖ d_k) to a class template.</summary>
    /// <param name="probabilities">Class probabilities <c>(N, C)</c> with the fitted C.</param>
    /// <returns>Scores <c>(N)</c>, float64, at least 0; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="probabilities"/> is empty, not 2-D, has another number of classes, or holds NaN, infinite or out-of-range values.</exception>
    /// <exception cref="ObjectDisposedException">The object has been disposed.</exception>
    public Tensor Score(Tensor probabilities)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Preconditions.Tensor(probabilities, nameof(probabilities), 2, 2);
        if (probabilities.shape[1] != ClassCount)
        {
            throw new ArgumentException($"probabilities must have the {ClassCount} classes fitted; found {probabilities.shape[1]}.", nameof(probabilities));
        }

        ProbabilityConversion.ValidateProbabilities(probabilities, nameof(probabilities));
        using var scope = torch.NewDisposeScope();
        var logTemplates = _templates.clamp_min(double.Epsilon).log_();

        // KL(p ‖ d_k) = Σ p log p − Σ p log d_k: one (T, C) × (C, B) product for every template, on cache-sized float64 chunks of rows.
        var scores = RowChunks.Float64Scores(probabilities, nameof(probabilities), _templates.device, p =>
        {
            var cross = logTemplates.matmul(p.t());
            return cross.neg_().add_(p.xlogy(p).sum(new long[] { 1 })).amin(new long[] { 0 }).clamp_min_(0);
        });
        return scores.MoveToOuterDisposeScope();
    }

    /// <summary>A one-line description of the fitted value (scikit-learn's repr style, invariant culture), e.g. for logs and notebooks.</summary>
    /// <returns>The type name and its fitted parameters.</returns>
    public override string ToString() => _disposed ? "KlMatching(disposed)" : string.Create(CultureInfo.InvariantCulture, $"KlMatching(classes={_classCount}, templates={_classes.Length})");

    /// <summary>Releases the templates.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _templates.Dispose();
    }
}
