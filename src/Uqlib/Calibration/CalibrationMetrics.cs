using System;
using System.Globalization;
using System.Threading;
using TorchSharp;
using Uqlib.Evaluation;
using static TorchSharp.torch;

namespace Uqlib.Calibration;

/// <summary>Calibration metrics of predicted class probabilities against true labels.</summary>
/// <remarks>
/// <para>Probabilities are <c>(N, C)</c>, or binary positive-class probabilities <c>(N)</c> read as the two columns (1 − p, p); labels are
/// integer class indices <c>(N)</c>. The <see cref="ReadOnlySpan{T}"/> overloads take the same values in row-major order (N × C values, or
/// N for binary input). Every metric is computed in float64; inputs are validated (finite, in [0, 1], rows summing to 1, labels in range)
/// and never disposed.</para>
/// <para>Thread-safe: the methods are pure.</para>
/// </remarks>
public static class CalibrationMetrics
{
    /// <summary>The default number of bins, 15, as in Guo et al. 2017.</summary>
    public const int DefaultBins = 15;

    /// <summary>The expected calibration error: top-label confidence in equal-width bins, Σ_b (n_b/N)·|accuracy_b − confidence_b| (Guo et al. 2017, "On calibration of modern neural networks").</summary>
    /// <param name="probabilities">Class probabilities <c>(N, C)</c> or binary positive-class probabilities <c>(N)</c>.</param>
    /// <param name="labels">Integer class indices <c>(N)</c>.</param>
    /// <param name="bins">The number of equal-width bins, from 1 to 100,000.</param>
    /// <returns>The ECE, in [0, 1].</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, the probabilities are invalid or a label is out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is outside [1, 100,000].</exception>
    public static double Ece(Tensor probabilities, Tensor labels, int bins = DefaultBins)
    {
        Preconditions.InRange(bins, nameof(bins), 1, Preconditions.MaxBins);
        var (confidence, correct) = CalibrationInput.TopLabel(probabilities, labels);
        return Binning.EqualWidth(confidence, correct, bins).Ece();
    }

    /// <summary>The expected calibration error of row-major probabilities (see <see cref="Ece(Tensor, Tensor, int)"/>).</summary>
    /// <param name="probabilities">N × C class probabilities in row-major order, or N binary positive-class probabilities.</param>
    /// <param name="labels">N integer class indices.</param>
    /// <param name="bins">The number of equal-width bins, from 1 to 100,000.</param>
    /// <returns>The ECE, in [0, 1].</returns>
    /// <exception cref="ArgumentException">The spans are empty or of inconsistent lengths, the probabilities are invalid or a label is out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is outside [1, 100,000].</exception>
    public static double Ece(ReadOnlySpan<double> probabilities, ReadOnlySpan<int> labels, int bins = DefaultBins)
    {
        Preconditions.InRange(bins, nameof(bins), 1, Preconditions.MaxBins);
        var (confidence, correct) = CalibrationInput.TopLabel(probabilities, labels);
        return Binning.EqualWidth(confidence, correct, bins).Ece();
    }

    /// <summary>The ECE with a seeded bootstrap percentile confidence interval: the samples are resampled with replacement and the ECE recomputed (Efron &amp; Tibshirani 1993), by the engine of <see cref="Bootstrap"/> (in parallel; resample b has its own generator, so the interval does not depend on the parallelism).</summary>
    /// <param name="probabilities">Class probabilities <c>(N, C)</c> or binary positive-class probabilities <c>(N)</c>.</param>
    /// <param name="labels">Integer class indices <c>(N)</c>.</param>
    /// <param name="bins">The number of equal-width bins, from 1 to 100,000.</param>
    /// <param name="resamples">The number of bootstrap resamples, from 10 to 1,000,000.</param>
    /// <param name="level">The confidence level, in (0, 1).</param>
    /// <param name="seed">The seed of the resampling; the same seed gives the same interval.</param>
    /// <param name="progress">Receives the resamples done so far (about every 1%, and at the end; from worker threads) in <see cref="EstimationProgress.Batches"/> and <see cref="EstimationProgress.Samples"/>, with <see cref="EstimationProgress.TotalSamples"/> = <paramref name="resamples"/>; or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the resampling.</param>
    /// <returns>The ECE and its interval.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, the probabilities are invalid or a label is out of range, there is
    /// only 1 sample, or the interval has zero width (every resample gave the same ECE), where no interval is defined.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/>, <paramref name="resamples"/> or <paramref name="level"/> is out of range.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static EceInterval EceWithInterval(
        Tensor probabilities,
        Tensor labels,
        int bins = DefaultBins,
        int resamples = 1000,
        double level = 0.95,
        int seed = 0,
        IProgress<EstimationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        Preconditions.InRange(bins, nameof(bins), 1, Preconditions.MaxBins);
        Preconditions.InRange(resamples, nameof(resamples), 10, Preconditions.MaxResamples);
        if (!(level > 0 && level < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, $"level must be in (0, 1); found {level}.");
        }

        var (confidence, correct) = CalibrationInput.TopLabel(probabilities, labels);
        var n = confidence.Length;
        if (n < 2)
        {
            throw new ArgumentException("labels holds 1 sample; a bootstrap interval needs at least 2 (every resample of one sample is that sample).", nameof(labels));
        }

        var options = new BootstrapOptions { Resamples = resamples, ConfidenceLevel = level, Seed = seed };
        var replicates = Bootstrap.Run(options, progress, cancellationToken, () => (new double[n], new double[n]), (random, buffers) =>
        {
            var (sampleConfidence, sampleCorrect) = buffers;
            for (var i = 0; i < n; i++)
            {
                var k = random.Next(n);
                sampleConfidence[i] = confidence[k];
                sampleCorrect[i] = correct[k];
            }

            return Binning.EqualWidth(sampleConfidence, sampleCorrect, bins).Ece();
        });
        var result = Bootstrap.Summarise(Binning.EqualWidth(confidence, correct, bins).Ece(), replicates, level, nameof(probabilities));
        return new EceInterval(result.Estimate, result.Ci.Lower, result.Ci.Upper, level);
    }

    /// <summary>The adaptive (equal-mass) calibration error: top-label confidence in bins holding equal numbers of samples (Nixon et al. 2019, "Measuring calibration in deep learning").</summary>
    /// <param name="probabilities">Class probabilities <c>(N, C)</c> or binary positive-class probabilities <c>(N)</c>.</param>
    /// <param name="labels">Integer class indices <c>(N)</c>.</param>
    /// <param name="bins">The number of bins, from 1 to 100,000; with fewer samples than bins the surplus bins are empty and ignored.</param>
    /// <returns>The adaptive ECE, in [0, 1].</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, the probabilities are invalid or a label is out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is outside [1, 100,000].</exception>
    public static double AdaptiveEce(Tensor probabilities, Tensor labels, int bins = DefaultBins)
    {
        Preconditions.InRange(bins, nameof(bins), 1, Preconditions.MaxBins);
        var (confidence, correct) = CalibrationInput.TopLabel(probabilities, labels);
        return Binning.EqualMass(confidence, correct, bins).Ece();
    }

    /// <summary>The adaptive (equal-mass) calibration error of row-major probabilities (see <see cref="AdaptiveEce(Tensor, Tensor, int)"/>).</summary>
    /// <param name="probabilities">N × C class probabilities in row-major order, or N binary positive-class probabilities.</param>
    /// <param name="labels">N integer class indices.</param>
    /// <param name="bins">The number of bins, from 1 to 100,000.</param>
    /// <returns>The adaptive ECE, in [0, 1].</returns>
    /// <exception cref="ArgumentException">The spans are empty or of inconsistent lengths, the probabilities are invalid or a label is out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is outside [1, 100,000].</exception>
    public static double AdaptiveEce(ReadOnlySpan<double> probabilities, ReadOnlySpan<int> labels, int bins = DefaultBins)
    {
        Preconditions.InRange(bins, nameof(bins), 1, Preconditions.MaxBins);
        var (confidence, correct) = CalibrationInput.TopLabel(probabilities, labels);
        return Binning.EqualMass(confidence, correct, bins).Ece();
    }

    /// <summary>The maximum calibration error: the largest |accuracy_b − confidence_b| over non-empty equal-width top-label bins (Guo et al. 2017).</summary>
    /// <param name="probabilities">Class probabilities <c>(N, C)</c> or binary positive-class probabilities <c>(N)</c>.</param>
    /// <param name="labels">Integer class indices <c>(N)</c>.</param>
    /// <param name="bins">The number of equal-width bins, from 1 to 100,000.</param>
    /// <returns>The MCE, in [0, 1].</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, the probabilities are invalid or a label is out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is outside [1, 100,000].</exception>
    public static double Mce(Tensor probabilities, Tensor labels, int bins = DefaultBins)
    {
        Preconditions.InRange(bins, nameof(bins), 1, Preconditions.MaxBins);
        var (confidence, correct) = CalibrationInput.TopLabel(probabilities, labels);
        return Binning.EqualWidth(confidence, correct, bins).Mce();
    }

    /// <summary>The maximum calibration error of row-major probabilities (see <see cref="Mce(Tensor, Tensor, int)"/>).</summary>
    /// <param name="probabilities">N × C class probabilities in row-major order, or N binary positive-class probabilities.</param>
    /// <param name="labels">N integer class indices.</param>
    /// <param name="bins">The number of equal-width bins, from 1 to 100,000.</param>
    /// <returns>The MCE, in [0, 1].</returns>
    /// <exception cref="ArgumentException">The spans are empty or of inconsistent lengths, the probabilities are invalid or a label is out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is outside [1, 100,000].</exception>
    public static double Mce(ReadOnlySpan<double> probabilities, ReadOnlySpan<int> labels, int bins = DefaultBins)
    {
        Preconditions.InRange(bins, nameof(bins), 1, Preconditions.MaxBins);
        var (confidence, correct) = CalibrationInput.TopLabel(probabilities, labels);
        return Binning.EqualWidth(confidence, correct, bins).Mce();
    }

    /// <summary>The classwise calibration error: for each class c, the equal-width binned error of p_c against the indicator y = c, averaged over classes (Kull et al. 2019; Nixon et al. 2019's static calibration error).</summary>
    /// <param name="probabilities">Class probabilities <c>(N, C)</c> or binary positive-class probabilities <c>(N)</c>.</param>
    /// <param name="labels">Integer class indices <c>(N)</c>.</param>
    /// <param name="bins">The number of equal-width bins per class, from 1 to 100,000; bin 0 also holds p = 0.</param>
    /// <returns>The classwise ECE, in [0, 1].</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, the probabilities are invalid or a label is out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is outside [1, 100,000].</exception>
    public static double ClasswiseEce(Tensor probabilities, Tensor labels, int bins = DefaultBins)
    {
        Preconditions.InRange(bins, nameof(bins), 1, Preconditions.MaxBins);
        var (p, y) = CalibrationInput.Check(probabilities, labels);
        using (p)
        using (y)
        {
            var classes = (int)p.shape[1];
            var values = CalibrationInput.ToArray(p);
            var truth = CalibrationInput.ToArray(y);
            var labelArray = new int[truth.Length];
            for (var i = 0; i < truth.Length; i++)
            {
                labelArray[i] = (int)truth[i];
            }

            return ClasswiseCore(values, classes, labelArray, bins);
        }
    }

    /// <summary>The classwise calibration error of row-major probabilities (see <see cref="ClasswiseEce(Tensor, Tensor, int)"/>).</summary>
    /// <param name="probabilities">N × C class probabilities in row-major order, or N binary positive-class probabilities.</param>
    /// <param name="labels">N integer class indices.</param>
    /// <param name="bins">The number of equal-width bins per class, from 1 to 100,000.</param>
    /// <returns>The classwise ECE, in [0, 1].</returns>
    /// <exception cref="ArgumentException">The spans are empty or of inconsistent lengths, the probabilities are invalid or a label is out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is outside [1, 100,000].</exception>
    public static double ClasswiseEce(ReadOnlySpan<double> probabilities, ReadOnlySpan<int> labels, int bins = DefaultBins)
    {
        Preconditions.InRange(bins, nameof(bins), 1, Preconditions.MaxBins);
        var classes = CalibrationInput.Check(probabilities, labels);
        var width = probabilities.Length / labels.Length;
        if (width == 1)
        {
            var two = new double[labels.Length * 2];
            for (var i = 0; i < labels.Length; i++)
            {
                two[2 * i] = 1 - probabilities[i];
                two[(2 * i) + 1] = probabilities[i];
            }

            return ClasswiseCore(two, classes, labels, bins);
        }

        return ClasswiseCore(probabilities, classes, labels, bins);
    }

    /// <summary>The Brier score: the mean over samples of Σ_c (p_c − y_c)², y one-hot (Brier 1950); for binary positive-class probabilities <c>(N)</c> the usual mean (p − y)².</summary>
    /// <param name="probabilities">Class probabilities <c>(N, C)</c>, or binary positive-class probabilities <c>(N)</c>.</param>
    /// <param name="labels">Integer class indices <c>(N)</c> (0 or 1 for binary input).</param>
    /// <returns>The Brier score, in [0, 2] (in [0, 1] for binary input).</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, the probabilities are invalid or a label is out of range.</exception>
    public static double BrierScore(Tensor probabilities, Tensor labels)
    {
        var binary = probabilities is not null && !probabilities.IsInvalid && probabilities.dim() == 1;
        var (p, y) = CalibrationInput.Check(probabilities!, labels);
        using (p)
        using (y)
        {
            using var scope = torch.NewDisposeScope();
            // Σ_c (p_c − y_c)² = Σ_c p_c² − 2 p_label + 1.
            var perSample = p.square().sum(1).sub_(p.gather(1, y.unsqueeze(1)).squeeze(1).mul_(2.0)).add_(1.0);
            var mean = perSample.mean().ToDouble();
            return binary ? mean / 2 : mean;
        }
    }

    /// <summary>The Brier score of row-major probabilities (see <see cref="BrierScore(Tensor, Tensor)"/>); N values for N labels are binary positive-class probabilities.</summary>
    /// <param name="probabilities">N × C class probabilities in row-major order, or N binary positive-class probabilities.</param>
    /// <param name="labels">N integer class indices.</param>
    /// <returns>The Brier score.</returns>
    /// <exception cref="ArgumentException">The spans are empty or of inconsistent lengths, the probabilities are invalid or a label is out of range.</exception>
    public static double BrierScore(ReadOnlySpan<double> probabilities, ReadOnlySpan<int> labels)
    {
        CalibrationInput.Check(probabilities, labels);
        var width = probabilities.Length / labels.Length;
        var sum = 0.0;
        for (var row = 0; row < labels.Length; row++)
        {
            if (width == 1)
            {
                var d = probabilities[row] - labels[row];
                sum += d * d;
                continue;
            }

            for (var c = 0; c < width; c++)
            {
                var d = probabilities[(row * width) + c] - (c == labels[row] ? 1.0 : 0.0);
                sum += d * d;
            }
        }

        return sum / labels.Length;
    }

    /// <summary>The negative log-likelihood, the mean over samples of −log p_label, in nats.</summary>
    /// <param name="probabilities">Class probabilities <c>(N, C)</c> or binary positive-class probabilities <c>(N)</c>.</param>
    /// <param name="labels">Integer class indices <c>(N)</c>.</param>
    /// <returns>The NLL, at least 0; <see cref="double.PositiveInfinity"/> when a true label has probability 0.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, the probabilities are invalid or a label is out of range.</exception>
    public static double NegativeLogLikelihood(Tensor probabilities, Tensor labels)
    {
        var (p, y) = CalibrationInput.Check(probabilities, labels);
        using (p)
        using (y)
        {
            using var scope = torch.NewDisposeScope();
            return p.gather(1, y.unsqueeze(1)).log_().mean().neg_().ToDouble();
        }
    }

    /// <summary>The negative log-likelihood of row-major probabilities (see <see cref="NegativeLogLikelihood(Tensor, Tensor)"/>).</summary>
    /// <param name="probabilities">N × C class probabilities in row-major order, or N binary positive-class probabilities.</param>
    /// <param name="labels">N integer class indices.</param>
    /// <returns>The NLL, at least 0; <see cref="double.PositiveInfinity"/> when a true label has probability 0.</returns>
    /// <exception cref="ArgumentException">The spans are empty or of inconsistent lengths, the probabilities are invalid or a label is out of range.</exception>
    public static double NegativeLogLikelihood(ReadOnlySpan<double> probabilities, ReadOnlySpan<int> labels)
    {
        CalibrationInput.Check(probabilities, labels);
        var width = probabilities.Length / labels.Length;
        var sum = 0.0;
        for (var row = 0; row < labels.Length; row++)
        {
            sum -= Math.Log(CalibrationInput.At(probabilities, width, row, labels[row]));
        }

        return sum / labels.Length;
    }

    private static double ClasswiseCore(ReadOnlySpan<double> probabilities, int classes, ReadOnlySpan<int> labels, int bins)
    {
        var n = labels.Length;
        var sumP = new double[classes * bins];
        var sumY = new double[classes * bins];
        for (var row = 0; row < n; row++)
        {
            var offset = row * classes;
            for (var c = 0; c < classes; c++)
            {
                var p = probabilities[offset + c];
                var cell = (c * bins) + Binning.EqualWidthBin(p, bins);
                sumP[cell] += p;
                if (labels[row] == c)
                {
                    sumY[cell] += 1.0;
                }
            }
        }

        var total = 0.0;
        for (var cell = 0; cell < sumP.Length; cell++)
        {
            total += Math.Abs(sumP[cell] - sumY[cell]);
        }

        return total / n / classes;
    }
}
