using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using static TorchSharp.torch;

namespace Uqlib.Calibration;

/// <summary>The data of a reliability diagram: top-label confidence against accuracy, bin by bin (Guo et al. 2017; DeGroot &amp; Fienberg 1983).</summary>
/// <remarks>An immutable value; the plotting package draws it. Thread-safe.</remarks>
public sealed class ReliabilityDiagram
{
    private ReliabilityDiagram(BinningScheme scheme, IList<ReliabilityBin> bins, long sampleCount, double ece, double mce)
    {
        Scheme = scheme;
        Bins = new ReadOnlyCollection<ReliabilityBin>(bins);
        SampleCount = sampleCount;
        Ece = ece;
        Mce = mce;
    }

    /// <summary>Gets how the samples were binned.</summary>
    public BinningScheme Scheme { get; }

    /// <summary>Gets the bins in order of increasing confidence; equal-width diagrams include empty bins (count 0).</summary>
    public IReadOnlyList<ReliabilityBin> Bins { get; }

    /// <summary>Gets the number of samples binned.</summary>
    public long SampleCount { get; }

    /// <summary>Gets the calibration error of these bins, Σ_b (n_b/N)·|gap_b|: the ECE for equal-width bins, the adaptive ECE for equal-mass bins.</summary>
    public double Ece { get; }

    /// <summary>Gets the largest |gap| over non-empty bins.</summary>
    public double Mce { get; }

    /// <summary>Bins the top-label confidences of class probabilities and measures each bin's accuracy.</summary>
    /// <param name="probabilities">Class probabilities <c>(N, C)</c> or binary positive-class probabilities <c>(N)</c>; not disposed.</param>
    /// <param name="labels">Integer class indices <c>(N)</c>; not disposed.</param>
    /// <param name="bins">The number of bins, from 1 to 100,000.</param>
    /// <param name="scheme">Equal-width or equal-mass bins.</param>
    /// <returns>The diagram's bins.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, the probabilities are invalid or a label is out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is outside [1, 100,000], or <paramref name="scheme"/> is undefined.</exception>
    public static ReliabilityDiagram Compute(
        Tensor probabilities, Tensor labels, int bins = CalibrationMetrics.DefaultBins, BinningScheme scheme = BinningScheme.EqualWidth)
    {
        CheckOptions(bins, scheme);
        var (confidence, correct) = CalibrationInput.TopLabel(probabilities, labels);
        return From(Binning.Compute(confidence, correct, bins, scheme), scheme);
    }

    /// <summary>Bins the top-label confidences of row-major class probabilities and measures each bin's accuracy.</summary>
    /// <param name="probabilities">N × C class probabilities in row-major order, or N binary positive-class probabilities.</param>
    /// <param name="labels">N integer class indices.</param>
    /// <param name="bins">The number of bins, from 1 to 100,000.</param>
    /// <param name="scheme">Equal-width or equal-mass bins.</param>
    /// <returns>The diagram's bins.</returns>
    /// <exception cref="ArgumentException">The spans are empty or of inconsistent lengths, the probabilities are invalid or a label is out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is outside [1, 100,000], or <paramref name="scheme"/> is undefined.</exception>
    public static ReliabilityDiagram Compute(
        ReadOnlySpan<double> probabilities, ReadOnlySpan<int> labels, int bins = CalibrationMetrics.DefaultBins, BinningScheme scheme = BinningScheme.EqualWidth)
    {
        CheckOptions(bins, scheme);
        var (confidence, correct) = CalibrationInput.TopLabel(probabilities, labels);
        return From(Binning.Compute(confidence, correct, bins, scheme), scheme);
    }

    private static void CheckOptions(int bins, BinningScheme scheme)
    {
        Preconditions.InRange(bins, nameof(bins), 1, Preconditions.MaxBins);
        if (!Enum.IsDefined(scheme))
        {
            throw new ArgumentOutOfRangeException(nameof(scheme), scheme, $"scheme must be a defined BinningScheme; found {scheme}.");
        }
    }

    private static ReliabilityDiagram From(Binning binning, BinningScheme scheme)
    {
        var list = new List<ReliabilityBin>(binning.Counts.Length);
        for (var b = 0; b < binning.Counts.Length; b++)
        {
            var n = binning.Counts[b];
            if (n == 0 && scheme == BinningScheme.EqualMass)
            {
                continue;
            }

            list.Add(new ReliabilityBin(
                binning.Lower[b], binning.Upper[b], n,
                n == 0 ? 0.0 : binning.SumConfidence[b] / n,
                n == 0 ? 0.0 : binning.SumCorrect[b] / n));
        }

        return new ReliabilityDiagram(scheme, list, binning.Total, binning.Ece(), binning.Mce());
    }
}
