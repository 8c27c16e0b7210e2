using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading;
using TorchSharp;
using Uqlib.Persistence;
using static TorchSharp.torch;

namespace Uqlib.Conformal;

/// <summary>
/// Conformal risk control for segmentation: a threshold t̂ on new maps (mask = every pixel with value ≥ t̂) whose expected per-image loss
/// (by default the false-negative rate) is at most α; α is chosen when the threshold is asked for.
/// </summary>
/// <remarks>
/// <para>
/// Angelopoulos, Bates, Fisch, Lei &amp; Schuster 2022, "Conformal risk control" (ICLR 2024): for losses L_i(λ) non-increasing in λ and
/// bounded by B, λ̂ = inf{λ : n/(n + 1)·R̂(λ) + B/(n + 1) ≤ α}, with R̂ the mean calibration loss, gives E[L_{n+1}(λ̂)] ≤ α for an
/// exchangeable new image. Here the mask is parametrised by the threshold t = 1 − λ (the paper's sets {p ≥ 1 − λ}), so that no rounding
/// of 1 − p enters: t̂ = sup{t : n/(n + 1)·R̂(t) + B/(n + 1) ≤ α}. The loss is a step function of t with jumps at the calibration values
/// (<see cref="LossSteps"/>), so t̂ is computed exactly over every jump, not on a grid: it is the largest jump point at which the
/// condition holds (left-continuity makes the supremum attained), or +∞ (empty masks) when the condition holds even above every jump.
/// </para>
/// <para>
/// An α below (Σ L_i(−∞) + B)/(n + 1), for which no threshold satisfies the condition, is an error that says so. Immutable and
/// thread-safe; it holds no tensors.
/// </para>
/// </remarks>
public sealed class ConformalRiskControl
{
    private const string Kind = "ConformalRiskControl";
    private const int Version = 1;

    private readonly double[] jumps;
    private readonly double[] increments;
    private readonly double[] cumulative;

    private ConformalRiskControl(string lossName, double bound, int count, double atLowest, double[] jumps, double[] increments)
    {
        LossName = lossName;
        Bound = bound;
        CalibrationCount = count;
        AtLowest = atLowest;
        this.jumps = jumps;
        this.increments = increments;
        cumulative = new double[increments.Length];
        var sum = 0.0;
        for (var i = 0; i < increments.Length; i++)
        {
            sum += increments[i];
            cumulative[i] = sum;
        }
    }

    /// <summary>Gets the name of the loss controlled.</summary>
    public string LossName { get; }

    /// <summary>Gets the bound B of the loss.</summary>
    public double Bound { get; }

    /// <summary>Gets the number n of calibration images.</summary>
    public int CalibrationCount { get; }

    /// <summary>Gets the total calibration loss at the lowest thresholds, Σ L_i(−∞) (0 for the false-negative rate).</summary>
    public double AtLowest { get; }

    /// <summary>Fits on calibration maps and true masks with a monotone loss, by default the per-image false-negative rate.</summary>
    /// <param name="maps">Calibration maps <c>(N, H, W)</c> or <c>(N, D, H, W)</c>, e.g. foreground probabilities. Not disposed.</param>
    /// <param name="masks">The true masks, boolean (or 0/1), of the maps' shape. Not disposed.</param>
    /// <param name="loss">The loss, or <see langword="null"/> for <see cref="FalseNegativeRate"/>.</param>
    /// <param name="progress">Receives one report per calibration image (one batch each), the last with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts and before every image.</param>
    /// <returns>The fitted risk control.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="maps"/> or <paramref name="masks"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    /// The maps are not <c>(N, H, W)</c> or <c>(N, D, H, W)</c>, empty or not finite; the masks are not binary or of another shape; or the
    /// loss gives values outside [0, B] or no jump at all (e.g. every true mask empty).
    /// </exception>
    public static ConformalRiskControl Fit(
        Tensor maps, Tensor masks, IMonotoneLoss? loss = null, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Preconditions.Map(maps, nameof(maps));
        Preconditions.MaskLike(maps, nameof(maps), masks, nameof(masks));
        loss ??= FalseNegativeRate.Instance;
        var steps = new LossSteps[maps.shape[0]];
        using (var scope = torch.NewDisposeScope())
        {
            for (var i = 0; i < steps.Length; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                steps[i] = loss.Steps(maps[i], masks[i]);
                progress?.Report(new EstimationProgress(i + 1, i + 1) { TotalSamples = steps.Length });
            }
        }

        return FromSteps(steps, loss.Bound, loss.Name);
    }

    /// <summary>Fits on the calibration images' losses given as step functions (for losses computed outside Uqlib).</summary>
    /// <param name="losses">One step function per calibration image, values in [0, <paramref name="bound"/>].</param>
    /// <param name="bound">The bound B of the loss, finite and &gt; 0.</param>
    /// <param name="lossName">A short name of the loss, for display and files.</param>
    /// <returns>The fitted risk control.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="losses"/>, an item of it, or <paramref name="lossName"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">There are no losses, a loss exceeds <paramref name="bound"/>, or no loss has a jump.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bound"/> is not finite and &gt; 0.</exception>
    public static ConformalRiskControl FromSteps(IReadOnlyList<LossSteps> losses, double bound, string lossName)
    {
        Preconditions.NotNull(losses, nameof(losses));
        Preconditions.NotNull(lossName, nameof(lossName));
        Preconditions.Positive(bound, nameof(bound));
        if (losses.Count == 0)
        {
            throw new ArgumentException("losses is empty: risk control needs at least one calibration image.", nameof(losses));
        }

        var total = 0;
        var atLowest = 0.0;
        for (var i = 0; i < losses.Count; i++)
        {
            var step = Preconditions.NotNull(losses[i], nameof(losses));
            if (step.AtHighest > bound * (1 + 1e-12))
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"losses[{i}] reaches {step.AtHighest}, above the bound B = {bound}."), nameof(losses));
            }

            total += step.Jumps.Count;
            atLowest += step.AtLowest;
        }

        if (total == 0)
        {
            throw new ArgumentException("No calibration loss has a jump (e.g. every true mask is empty): the threshold is undefined.", nameof(losses));
        }

        var allJumps = new double[total];
        var allIncrements = new double[total];
        var at = 0;
        foreach (var step in losses)
        {
            for (var j = 0; j < step.Jumps.Count; j++)
            {
                allJumps[at] = step.Jumps[j];
                allIncrements[at] = step.Increments[j];
                at++;
            }
        }

        Array.Sort(allJumps, allIncrements);
        return new ConformalRiskControl(lossName, bound, losses.Count, atLowest, allJumps, allIncrements);
    }

    /// <summary>The calibrated threshold t̂ = sup{t : n/(n + 1)·R̂(t) + B/(n + 1) ≤ α} (λ̂ = 1 − t̂ in the paper's parametrisation).</summary>
    /// <param name="alpha">The risk level α, in (0, B).</param>
    /// <returns>The threshold: one of the calibration jump points, or +∞ when even empty masks meet the level.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not in (0, B), or is below (Σ L_i(−∞) + B)/(n + 1), where no threshold controls the risk.</exception>
    public double Threshold(double alpha)
    {
        if (!(alpha > 0 && alpha < Bound))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha,
                string.Create(CultureInfo.InvariantCulture, $"alpha must be in the open interval (0, B = {Bound}); found {alpha}."));
        }

        var n = (double)CalibrationCount;
        if (!Holds(AtLowest, alpha))
        {
            var least = (AtLowest + Bound) / (n + 1);
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha,
                string.Create(CultureInfo.InvariantCulture,
                    $"alpha = {alpha} is below (Σ L_i(−∞) + B)/(n + 1) = {least:G6} for the n = {CalibrationCount} calibration images: no threshold controls the {LossName} at this level; use alpha ≥ {least:G6} or more calibration images."));
        }

        // The risk is constant on (c_{j−1}, c_j] for consecutive distinct jump points: it counts the increments of jumps up to c_{j−1}.
        var best = jumps[0];
        var i = 0;
        while (i < jumps.Length)
        {
            var end = i;
            while (end + 1 < jumps.Length && jumps[end + 1] == jumps[i])
            {
                end++;
            }

            if (!Holds(AtLowest + cumulative[end], alpha))
            {
                return best;
            }

            best = end + 1 < jumps.Length ? jumps[end + 1] : double.PositiveInfinity;
            i = end + 1;
        }

        return best;
    }

    /// <summary>Thresholds new maps at t̂(α): the masks whose expected loss is at most α.</summary>
    /// <param name="maps">Maps <c>(N, H, W)</c> or <c>(N, D, H, W)</c>. Not disposed.</param>
    /// <param name="alpha">The risk level α, in (0, B).</param>
    /// <returns>A new boolean tensor of the maps' shape, <see langword="true"/> where the value is ≥ t̂; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="maps"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The maps are not <c>(N, H, W)</c> or <c>(N, D, H, W)</c>, empty or not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not in (0, B) or is too small (see <see cref="Threshold"/>).</exception>
    public Tensor Predict(Tensor maps, double alpha)
    {
        Preconditions.Map(maps, nameof(maps));
        var threshold = Threshold(alpha);
        return maps.ge(threshold);
    }

    /// <summary>Saves the calibration losses to a checksummed file, atomically.</summary>
    /// <param name="path">The file to write; replaced if it exists.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        FittedFile.Save(path, Kind, Version, writer =>
        {
            writer.String("loss", LossName);
            writer.Number("bound", Bound);
            writer.Number("calibrationCount", (long)CalibrationCount);
            writer.Number("atLowest", AtLowest);
            writer.Numbers("jumps", jumps);
            writer.Numbers("increments", increments);
        });
    }

    /// <summary>Loads a risk control saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The risk control, giving thresholds identical to the saved one's.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a risk-control file, is of another version, truncated or corrupt, or holds inconsistent values.</exception>
    public static ConformalRiskControl Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var name = reader.String("loss");
            var bound = reader.Double("bound");
            var count = reader.Int32("calibrationCount");
            var atLowest = reader.Double("atLowest");
            var loadedJumps = reader.Doubles("jumps");
            var loadedIncrements = reader.Doubles("increments", loadedJumps.Length);
            var sorted = true;
            for (var i = 1; i < loadedJumps.Length; i++)
            {
                sorted &= loadedJumps[i - 1] <= loadedJumps[i];
            }

            if (!(bound > 0) || count < 1 || atLowest < 0 || loadedJumps.Length == 0 || !sorted || Array.Exists(loadedIncrements, v => v < 0))
            {
                throw reader.Invalid("it needs B > 0, n ≥ 1, a loss ≥ 0 and sorted jumps with one increment ≥ 0 each");
            }

            return new ConformalRiskControl(name, bound, count, atLowest, loadedJumps, loadedIncrements);
        });
    }

    /// <inheritdoc />
    public override string ToString()
    {
        return string.Create(CultureInfo.InvariantCulture, $"ConformalRiskControl({LossName}, B = {Bound}, n = {CalibrationCount}, {jumps.Length} jumps)");
    }

    /// <summary>The condition n/(n + 1)·R̂ + B/(n + 1) ≤ α for a total calibration loss <paramref name="totalLoss"/> = n·R̂.</summary>
    private bool Holds(double totalLoss, double alpha)
    {
        var n = (double)CalibrationCount;
        return n / (n + 1) * (totalLoss / n) + Bound / (n + 1) <= alpha;
    }
}
