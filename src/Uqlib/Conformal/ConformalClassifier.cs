using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Threading;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Persistence;
using static TorchSharp.torch;

namespace Uqlib.Conformal;

/// <summary>
/// Split conformal prediction sets for classification, fitted on held-out calibration probabilities and labels; the miscoverage level α
/// is chosen at prediction time.
/// </summary>
/// <remarks>
/// <para>
/// Split conformal classification (Vovk et al. 2005; Sadinle, Lei &amp; Wasserman 2019 for LAC; Romano, Sesia &amp; Candès 2020 for APS;
/// Angelopoulos, Bates, Malik &amp; Jordan 2021 for RAPS and top-k; Angelopoulos &amp; Bates 2021, "A gentle introduction to conformal
/// prediction"). Fitting keeps the n sorted calibration scores s_i = s(x_i, y_i, u_i) (see <see cref="SetScore"/>). For a level α the
/// threshold q̂ is the k-th smallest of them, k = ⌈(n + 1)(1 − α)⌉ (the papers' exact rank, in decimal arithmetic; not NumPy's
/// <c>quantile(..., "higher")</c>), and the set of a new case is every class y with s(x, y, u) ≤ q̂. If calibration and test cases are
/// exchangeable, the true class is in the set with probability at least 1 − α, and below 1 − α + 1/(n + 1) when the scores have no ties.
/// </para>
/// <para>
/// Ties. Classes of equal probability are ranked by class index (a stable sort). Calibration scores that tie with q̂ are all in the set
/// (the comparison is ≤), which can only raise coverage; randomised scores (<see cref="ConformalSetOptions.Randomized"/>) have no ties:
/// APS and RAPS put u·p_y into the score, LAC and top-k rank the pairs (s, u) lexicographically, so that a class whose score equals q̂
/// is in the set when its case's u is at most the u of the calibration case that gave q̂.
/// </para>
/// <para>
/// Empty sets. A set can be empty (always for LAC when 1 − p_max &gt; q̂, and for randomised APS/RAPS/top-k when the top class's u-term
/// exceeds q̂). Unless <see cref="ConformalSetOptions.AllowEmptySets"/> is set, such a set holds the most probable class instead (the
/// lowest index among equal maxima).
/// </para>
/// <para>
/// Class-conditional (<see cref="ConformalSetOptions.ClassConditional"/>): class c's threshold is the ⌈(n_c + 1)(1 − α)⌉-th smallest of
/// the n_c scores of calibration cases labelled c, and class c is in a set when its score is at most that threshold. A class with no
/// calibration case is an error at fitting; a class with too few for the level asked (n_c &lt; ⌈(1 − α)/α⌉) is an error at prediction
/// that names the class; no fallback is applied silently.
/// </para>
/// <para>
/// Clusters: given cluster ids (patients), one score per cluster is kept (per cluster and class when class-conditional), by
/// <see cref="ConformalSetOptions.ClusterCalibration"/>, so that the guarantee holds for new patients rather than new slices.
/// </para>
/// <para>Immutable and thread-safe; it holds no tensors.</para>
/// </remarks>
public sealed class ConformalClassifier
{
    private const string Kind = "ConformalClassifier";
    private const int Version = 1;

    /// <summary>The number of probability values scored at once by <see cref="Predict"/>, which bounds its temporary memory.</summary>
    private const long ChunkElements = 1L << 22;

    private readonly double[] scores;
    private readonly double[] uniforms;
    private readonly int[] labels;
    private readonly SortedScores[] groups;

    private ConformalClassifier(ConformalSetOptions options, int classCount, double[] scores, double[] uniforms, int[] labels)
    {
        Options = options;
        ClassCount = classCount;
        this.scores = scores;
        this.uniforms = uniforms;
        this.labels = labels;
        groups = options.ClassConditional ? SortedScores.PerClass(scores, uniforms, labels, classCount) : new[] { SortedScores.Of(scores, uniforms) };
    }

    /// <summary>Gets the options the classifier was fitted with.</summary>
    public ConformalSetOptions Options { get; }

    /// <summary>Gets the number of classes C.</summary>
    public int ClassCount { get; }

    /// <summary>Gets the number n of calibration scores kept (one per case, or one per cluster when cluster ids were given).</summary>
    public int CalibrationCount => scores.Length;

    /// <summary>Fits the calibration scores of labelled held-out cases.</summary>
    /// <param name="probabilities">
    /// Calibration probabilities <c>(N, C)</c>, C ≥ 2, rows summing to 1 (a binary model's output becomes two columns with
    /// <see cref="ProbabilityConversion.ToProbabilities"/>). Not disposed.
    /// </param>
    /// <param name="labels">The true classes <c>(N)</c>, integers in [0, C). Not disposed.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="ConformalSetOptions.Default"/>.</param>
    /// <param name="clusters">Integer cluster ids <c>(N)</c> (e.g. patients), or <see langword="null"/> when every case is its own cluster.</param>
    /// <param name="uniforms">
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of calibration cases; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts.</param>
    /// The uniform draws u <c>(N)</c> in [0, 1] of randomised scores, or <see langword="null"/> to draw them with the options' seed; ignored
    /// when not randomised. Giving them lets a reference implementation reproduce the scores exactly.
    /// </param>
    /// <returns>The fitted classifier.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> or <paramref name="labels"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    /// A tensor is empty, of the wrong shape or dtype, or its length differs from the probabilities'; the probabilities hold NaN, infinite or
    /// out-of-range values or rows not summing to 1; a label is outside [0, C); a uniform is outside [0, 1]; the options are invalid; or,
    /// class-conditional, a class has no calibration case.
    /// </exception>
    public static ConformalClassifier Fit(
        Tensor probabilities, Tensor labels, ConformalSetOptions? options = null, Tensor? clusters = null, Tensor? uniforms = null,
        IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        options ??= ConformalSetOptions.Default;
        options.Validate();
        CheckProbabilities(probabilities, nameof(probabilities), null);
        var classes = (int)probabilities.shape[1];
        Preconditions.Tensor(labels, nameof(labels), 1, 1);
        Preconditions.SameLength(probabilities, nameof(probabilities), labels, nameof(labels));
        Preconditions.Labels(labels, nameof(labels), classes);
        if (clusters is not null)
        {
            Preconditions.Tensor(clusters, nameof(clusters), 1, 1);
            Preconditions.SameLength(probabilities, nameof(probabilities), clusters, nameof(clusters));
            if (clusters.is_floating_point() || clusters.dtype == ScalarType.Bool)
            {
                throw new ArgumentException($"clusters must hold integer ids; found dtype {clusters.dtype}.", nameof(clusters));
            }
        }

        using var scope = torch.NewDisposeScope();
        var n = probabilities.shape[0];
        var u = options.Randomized ? Uniforms(uniforms, n, options.Seed, probabilities.device, nameof(uniforms)) : null;
        var labelColumn = labels.to(ScalarType.Int64, probabilities.device).unsqueeze(1);
        var all = SetScores.All(probabilities, options, u);
        var own = Array(all.gather(1, labelColumn).squeeze(1));
        var draws = options.Lexicographic ? Array(u!) : new double[own.Length];
        var classOf = Ints(labels);
        if (clusters is not null)
        {
            (own, draws, classOf) = ClusterReduction.Reduce(own, draws, classOf, Longs(clusters), options);
        }

        if (options.ClassConditional)
        {
            var counts = new int[classes];
            foreach (var c in classOf)
            {
                counts[c]++;
            }

            var missing = System.Array.IndexOf(counts, 0);
            if (missing >= 0)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"Class-conditional calibration needs calibration cases of every class; class {missing} has none among the {n} labels."),
                    nameof(labels));
            }
        }

        return EstimationProgress.Completed(progress, n, new ConformalClassifier(options, classes, own, draws, classOf));
    }

    /// <summary>The smallest number of calibration scores for which level α is possible: ⌈(1 − α)/α⌉ (α ≥ 1/(n + 1)).</summary>
    /// <param name="alpha">The miscoverage level α, in the open interval (0, 1).</param>
    /// <returns>The minimum number of calibration scores (per class when class-conditional).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not in (0, 1), or so small that the count exceeds <see cref="int.MaxValue"/>.</exception>
    public static int MinimumCalibrationCount(double alpha)
    {
        return ConformalQuantile.MinimumCount(alpha, nameof(alpha));
    }

    /// <summary>The number of calibration scores of each class (the n_c of class-conditional thresholds).</summary>
    /// <returns>C counts, one per class.</returns>
    public IReadOnlyList<int> ClassCounts()
    {
        var counts = new int[ClassCount];
        foreach (var c in labels)
        {
            counts[c]++;
        }

        return counts;
    }

    /// <summary>The thresholds q̂ at level α: one (marginal) or one per class (class-conditional).</summary>
    /// <param name="alpha">The miscoverage level α, in (0, 1) and at least 1/(n + 1) (1/(n_c + 1) for every class when class-conditional).</param>
    /// <returns>The thresholds, the ⌈(n + 1)(1 − α)⌉-th smallest calibration scores.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not in (0, 1), or is below 1/(n + 1) for the scores (or a class's scores), which the message names.</exception>
    public IReadOnlyList<double> Thresholds(double alpha)
    {
        var result = new double[groups.Length];
        for (var g = 0; g < groups.Length; g++)
        {
            result[g] = groups[g].Quantile(alpha, Describe(g)).Score;
        }

        return result;
    }

    /// <summary>Computes the prediction sets of new cases at level α.</summary>
    /// <param name="probabilities">Probabilities <c>(N, C)</c> with the C of fitting, rows summing to 1. Not disposed.</param>
    /// <param name="alpha">The miscoverage level α, in (0, 1) and at least 1/(n + 1) (0.1 for sets holding the true class 90% of the time).</param>
    /// <param name="uniforms">
    /// The uniform draws u <c>(N)</c> in [0, 1] of randomised scores, or <see langword="null"/> to draw them with the generator seeded with
    /// <c>Seed + 1</c> (restarted at every call); ignored when not randomised.
    /// </param>
    /// <returns>The sets, on the probabilities' device; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The probabilities are empty, not <c>(N, C)</c>, not finite or not probabilities; or the uniforms are of another length or outside [0, 1].</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not in (0, 1), or is below 1/(n + 1) for the scores (or for a class's scores), which the message names.</exception>
    public ConformalSets Predict(Tensor probabilities, double alpha, Tensor? uniforms = null)
    {
        CheckShape(probabilities, nameof(probabilities), ClassCount);
        // Contiguous CPU floats: one pass validates each row and makes its set (the tensor path below makes about ten passes, and for
        // APS, RAPS and top-k sorts, gathers and scatters every row through float64 copies).
        var fused = probabilities.device_type == DeviceType.CPU && probabilities.is_contiguous()
            && probabilities.dtype is ScalarType.Float32 or ScalarType.Float64;
        if (!fused)
        {
            ProbabilityConversion.ValidateProbabilities(probabilities, nameof(probabilities));
        }

        var quantiles = new (double Score, double Uniform)[groups.Length];
        try
        {
            for (var g = 0; g < groups.Length; g++)
            {
                quantiles[g] = groups[g].Quantile(alpha, Describe(g));
            }
        }
        catch (ArgumentException) when (fused)
        {
            // Invalid probabilities are reported before an invalid level, as on the tensor path.
            ProbabilityConversion.ValidateProbabilities(probabilities, nameof(probabilities));
            throw;
        }

        if (fused)
        {
            if (Fused(probabilities, alpha, uniforms, quantiles) is { } fusedSets)
            {
                return fusedSets;
            }

            // A row failed the one-pass check: the full check names the problem (or, for a row sum within rounding of the tolerance, passes).
            ProbabilityConversion.ValidateProbabilities(probabilities, nameof(probabilities));
        }

        using var scope = torch.NewDisposeScope();
        var n = probabilities.shape[0];
        var device = probabilities.device;
        var u = Options.Randomized ? Uniforms(uniforms, n, Options.Seed + 1, device, nameof(uniforms)) : null;
        var q = Row(quantiles, static x => x.Score, device);
        var qu = Row(quantiles, static x => x.Uniform, device);
        var sets = torch.empty(n, ClassCount, ScalarType.Bool, device);
        var rows = Math.Max(1, ChunkElements / ClassCount);
        for (long start = 0; start < n; start += rows)
        {
            using var chunkScope = torch.NewDisposeScope();
            var length = Math.Min(rows, n - start);
            var p = probabilities.narrow(0, start, length);
            var uChunk = u?.narrow(0, start, length);
            var s = SetScores.All(p, Options, uChunk);
            var inside = Options.Lexicographic
                ? s.lt(q).logical_or_(s.eq(q).logical_and_(uChunk!.unsqueeze(1).le(qu)))
                : s.le(q);
            if (!Options.AllowEmptySets)
            {
                var empty = inside.any(1, keepdim: true).logical_not_();
                var top = p.argmax(1, keepdim: true);
                inside = inside.scatter_(1, top, inside.gather(1, top).logical_or_(empty));
            }

            sets.narrow(0, start, length).copy_(inside);
        }

        var sizes = sets.sum(1, type: ScalarType.Int64);
        return new ConformalSets(sets.MoveToOuterDisposeScope(), sizes.MoveToOuterDisposeScope(), alpha);
    }

    /// <summary>The coverage and mean set size of labelled test cases at several levels: the data of a coverage plot (empirical against nominal coverage).</summary>
    /// <param name="probabilities">Test probabilities <c>(N, C)</c> with the C of fitting. Not disposed.</param>
    /// <param name="labels">The true classes <c>(N)</c>. Not disposed.</param>
    /// <param name="alphas">The levels α, each in (0, 1) and at least 1/(n + 1).</param>
    /// <returns>One point per level, in the order given; randomised sets use the draws of <see cref="Predict"/> without given uniforms.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The probabilities or labels are invalid (see <see cref="Predict"/> and <see cref="ConformalSets.Coverage"/>), or <paramref name="alphas"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A level is not in (0, 1) or is below 1/(n + 1).</exception>
    public IReadOnlyList<CoveragePoint> CoverageCurve(Tensor probabilities, Tensor labels, IReadOnlyList<double> alphas)
    {
        Preconditions.NotNull(alphas, nameof(alphas));
        if (alphas.Count == 0)
        {
            throw new ArgumentException("alphas must hold at least one level; found none.", nameof(alphas));
        }

        var points = new CoveragePoint[alphas.Count];
        for (var i = 0; i < points.Length; i++)
        {
            using var sets = Predict(probabilities, alphas[i]);
            points[i] = new CoveragePoint(alphas[i], sets.Coverage(labels), sets.MeanSize());
        }

        return points;
    }

    /// <summary>Saves the calibration scores and options to a checksummed file, atomically (a failed save leaves an existing file unchanged).</summary>
    /// <param name="path">The file to write; replaced if it exists.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        var classValues = new double[labels.Length];
        for (var i = 0; i < labels.Length; i++)
        {
            classValues[i] = labels[i];
        }

        FittedFile.Save(path, Kind, Version, writer =>
        {
            writer.Enum("score", Options.Score);
            writer.Boolean("randomized", Options.Randomized);
            writer.Number("lambda", Options.Lambda);
            writer.Number("kReg", (long)Options.KReg);
            writer.Boolean("classConditional", Options.ClassConditional);
            writer.Boolean("allowEmptySets", Options.AllowEmptySets);
            writer.Enum("clusterCalibration", Options.ClusterCalibration);
            writer.Number("seed", Options.Seed);
            writer.Number("classes", (long)ClassCount);
            writer.Numbers("scores", scores);
            writer.Numbers("uniforms", uniforms);
            writer.Numbers("labels", classValues);
        });
    }

    /// <summary>Loads a classifier saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The classifier, giving thresholds and sets identical to the saved one's.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a conformal-classifier file, is of another version, truncated or corrupt, or holds inconsistent values.</exception>
    public static ConformalClassifier Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var options = new ConformalSetOptions
            {
                Score = reader.Enum<SetScore>("score"),
                Randomized = reader.Boolean("randomized"),
                Lambda = reader.Double("lambda"),
                KReg = reader.Int32("kReg"),
                ClassConditional = reader.Boolean("classConditional"),
                AllowEmptySets = reader.Boolean("allowEmptySets"),
                ClusterCalibration = reader.Enum<ClusterCalibration>("clusterCalibration"),
                Seed = reader.Int64("seed"),
            };
            options.Validate();
            var classes = reader.Int32("classes");
            var values = reader.Doubles("scores");
            var draws = reader.Doubles("uniforms", values.Length);
            var classValues = reader.Doubles("labels", values.Length);
            if (classes < 2 || values.Length == 0)
            {
                throw reader.Invalid("it needs at least 2 classes and one calibration score");
            }

            var classOf = new int[classValues.Length];
            var seen = new bool[classes];
            for (var i = 0; i < classOf.Length; i++)
            {
                var c = classValues[i];
                if (c != Math.Floor(c) || c < 0 || c >= classes || draws[i] < 0 || draws[i] > 1)
                {
                    throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"item {i} has label {c} (classes {classes}) and uniform {draws[i]}"));
                }

                classOf[i] = (int)c;
                seen[classOf[i]] = true;
            }

            if (options.ClassConditional && System.Array.IndexOf(seen, false) >= 0)
            {
                throw reader.Invalid("it is class-conditional and a class has no calibration score");
            }

            return new ConformalClassifier(options, classes, values, draws, classOf);
        });
    }

    /// <inheritdoc />
    public override string ToString()
    {
        return string.Create(CultureInfo.InvariantCulture,
            $"ConformalClassifier({Options.Score}{(Options.Randomized ? ", randomised" : string.Empty)}{(Options.ClassConditional ? ", class-conditional" : string.Empty)}, C = {ClassCount}, n = {CalibrationCount})");
    }

    /// <summary>Checks probabilities <c>(N, C)</c>, C ≥ 2 (or C = <paramref name="classes"/>).</summary>
    internal static void CheckProbabilities(Tensor? probabilities, string name, int? classes)
    {
        CheckShape(probabilities, name, classes);
        ProbabilityConversion.ValidateProbabilities(probabilities!, name);
    }

    /// <summary>Checks the shape <c>(N, C)</c>, C ≥ 2 (or C = <paramref name="classes"/>), not the values.</summary>
    private static void CheckShape(Tensor? probabilities, string name, int? classes)
    {
        Preconditions.Tensor(probabilities, name, 2, 2);
        var found = probabilities!.shape[1];
        if (found < 2 || (classes is { } c && found != c))
        {
            var expected = classes is { } k ? string.Create(CultureInfo.InvariantCulture, $"(N, {k}) as at fitting") : "(N, C) with C ≥ 2";
            throw new ArgumentException($"{name} must have shape {expected}; found {Preconditions.ShapeText(probabilities)}.", name);
        }
    }

    /// <summary>The sets of contiguous CPU probabilities in one pass per chunk of rows, validating each row on the way; <see langword="null"/> when a row is not finite, in [0, 1] and summing to 1.</summary>
    private ConformalSets? Fused(Tensor probabilities, double alpha, Tensor? uniforms, (double Score, double Uniform)[] quantiles)
    {
        using var scope = torch.NewDisposeScope();
        var n = probabilities.shape[0];
        Tensor? u;
        try
        {
            u = Options.Randomized ? Uniforms(uniforms, n, Options.Seed + 1, probabilities.device, nameof(uniforms)).contiguous() : null;
        }
        catch (ArgumentException)
        {
            ProbabilityConversion.ValidateProbabilities(probabilities, nameof(probabilities));
            throw;
        }

        var q = new double[quantiles.Length];
        var qu = new double[quantiles.Length];
        for (var g = 0; g < q.Length; g++)
        {
            (q[g], qu[g]) = quantiles[g];
        }

        var classes = ClassCount;
        var sets = torch.empty(n, classes, ScalarType.Bool);
        var sizes = torch.empty(n, ScalarType.Int64);
        var rows = Math.Max(1, ChunkElements / classes);
        var ranking = new Ranking(classes);
        for (long start = 0; start < n; start += rows)
        {
            var length = Math.Min(rows, n - start);
            using var p = probabilities.narrow(0, start, length);
            using var setChunk = sets.narrow(0, start, length);
            using var sizeChunk = sizes.narrow(0, start, length);
            using var uChunk = u?.narrow(0, start, length);
            var uniformSpan = uChunk is null ? ReadOnlySpan<double>.Empty : CalibrationInput.NativeSpan<double>(uChunk);
            var target = MemoryMarshal.Cast<byte, bool>(setChunk.bytes);
            var sizeSpan = MemoryMarshal.Cast<byte, long>(sizeChunk.bytes);
            var valid = (Options.Score, p.dtype) switch
            {
                (SetScore.Lac, ScalarType.Float32) => LacRows(CalibrationInput.NativeSpan<float>(p), classes, q, qu, uniformSpan, Options.AllowEmptySets, target, sizeSpan),
                (SetScore.Lac, _) => LacRows(CalibrationInput.NativeSpan<double>(p), classes, q, qu, uniformSpan, Options.AllowEmptySets, target, sizeSpan),
                (_, ScalarType.Float32) => RankedRows(CalibrationInput.NativeSpan<float>(p), Options, ranking, q, qu, uniformSpan, target, sizeSpan),
                _ => RankedRows(CalibrationInput.NativeSpan<double>(p), Options, ranking, q, qu, uniformSpan, target, sizeSpan),
            };
            if (!valid)
            {
                return null;
            }
        }

        return new ConformalSets(sets.MoveToOuterDisposeScope(), sizes.MoveToOuterDisposeScope(), alpha);
    }

    /// <summary>
    /// One pass over row-major probabilities: each class is in the set when its score 1 − p is at most q̂ (or, with
    /// <paramref name="uniforms"/>, below q̂, or equal to it with u ≤ the quantile's own draw), per class when q̂ has one value per class;
    /// an empty set gets the most probable class (the first of equals) unless allowed. False at the first value not in [0, 1] or row not summing to 1.
    /// </summary>
    private static bool LacRows<T>(
        ReadOnlySpan<T> p, int classes, double[] q, double[] qu, ReadOnlySpan<double> uniforms, bool allowEmpty, Span<bool> sets, Span<long> sizes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var perClass = q.Length > 1;
        var lexicographic = !uniforms.IsEmpty;
        for (var row = 0; row < sizes.Length; row++)
        {
            var values = p.Slice(row * classes, classes);
            var target = sets.Slice(row * classes, classes);
            var sum = 0.0;
            var max = double.NegativeInfinity;
            var best = 0;
            long size = 0;
            var draw = lexicographic ? uniforms[row] : 0;
            for (var c = 0; c < classes; c++)
            {
                var v = double.CreateTruncating(values[c]);
                if (!(v >= 0 && v <= 1))
                {
                    return false;
                }

                sum += v;
                if (v > max)
                {
                    max = v;
                    best = c;
                }

                var score = 1.0 - v;
                var threshold = perClass ? q[c] : q[0];
                var inside = lexicographic
                    ? score < threshold || (score == threshold && draw <= (perClass ? qu[c] : qu[0]))
                    : score <= threshold;
                target[c] = inside;
                size += inside ? 1 : 0;
            }

            if (Math.Abs(sum - 1) > ProbabilityConversion.SumTolerance)
            {
                return false;
            }

            if (size == 0 && !allowEmpty)
            {
                target[best] = true;
                size = 1;
            }

            sizes[row] = size;
        }

        return true;
    }

    /// <summary>
    /// APS, RAPS and top-k sets of row-major probabilities, one row at a time: the row is validated while it is read, its classes ranked by
    /// decreasing probability (ties by class index, as the stable sort of <see cref="SetScores.All"/>), and its scores accumulated in rank
    /// order in float64 with the operations of <see cref="SetScores.All"/> in the same order (a sequential cumulative sum, then
    /// (Σ − p) + u·p, then + λ·max(0, ρ − k_reg)), so that each score, and so each set, is bit for bit the tensor path's. False at the first
    /// value not in [0, 1] or row not summing to 1.
    /// </summary>
    private static bool RankedRows<T>(
        ReadOnlySpan<T> p, ConformalSetOptions options, Ranking ranking, double[] q, double[] qu, ReadOnlySpan<double> uniforms, Span<bool> sets, Span<long> sizes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var classes = ranking.Values.Length;
        var perClass = q.Length > 1;
        var lexicographic = options.Lexicographic;
        var inScore = options.Randomized && !lexicographic;
        var topK = options.Score == SetScore.TopK;
        var regularised = options.Score == SetScore.Raps;
        var values = ranking.Values;
        var order = ranking.Order;
        for (var row = 0; row < sizes.Length; row++)
        {
            if (!ranking.Rank(p.Slice(row * classes, classes)))
            {
                return false;
            }

            var target = sets.Slice(row * classes, classes);
            var draw = uniforms.IsEmpty ? 0 : uniforms[row];
            var total = 0.0;
            long size = 0;
            for (var k = 0; k < classes; k++)
            {
                var c = order[k];
                var value = values[c];
                double score;
                if (topK)
                {
                    score = k + 1;
                }
                else
                {
                    total += value;
                    score = inScore ? (total - value) + (value * draw) : total;
                    if (regularised)
                    {
                        score += Math.Max(k + 1.0 - options.KReg, 0.0) * options.Lambda;
                    }
                }

                var threshold = perClass ? q[c] : q[0];
                var inside = lexicographic
                    ? score < threshold || (score == threshold && draw <= (perClass ? qu[c] : qu[0]))
                    : score <= threshold;
                target[c] = inside;
                size += inside ? 1 : 0;
            }

            if (size == 0 && !options.AllowEmptySets)
            {
                target[order[0]] = true;
                size = 1;
            }

            sizes[row] = size;
        }

        return true;
    }

    private static Tensor Uniforms(Tensor? given, long n, long seed, Device device, string name)
    {
        if (given is null)
        {
            using var generator = new torch.Generator(unchecked((ulong)seed));
            return torch.rand(new[] { n }, ScalarType.Float64, generator: generator).to(device);
        }

        Preconditions.Tensor(given, name, 1, 1);
        if (given.shape[0] != n)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{name} has {given.shape[0]} draws but probabilities has {n} rows; they must match."), name);
        }

        Preconditions.Finite(given, name);
        using (var scope = torch.NewDisposeScope())
        {
            var (min, max) = given.aminmax();
            if (min.ToDouble() < 0 || max.ToDouble() > 1)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"{name} must hold draws in [0, 1]; found values from {min.ToDouble()} to {max.ToDouble()}."), name);
            }
        }

        return given.to(ScalarType.Float64, device);
    }

    private static Tensor Row((double Score, double Uniform)[] quantiles, Func<(double Score, double Uniform), double> part, Device device)
    {
        var values = new double[quantiles.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = part(quantiles[i]);
        }

        return torch.tensor(values, ScalarType.Float64, device).unsqueeze(0);
    }

    private static double[] Array(Tensor value)
    {
        using var scope = torch.NewDisposeScope();
        return value.to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
    }

    private static int[] Ints(Tensor value)
    {
        using var scope = torch.NewDisposeScope();
        return value.to(ScalarType.Int32).cpu().contiguous().data<int>().ToArray();
    }

    private static long[] Longs(Tensor value)
    {
        using var scope = torch.NewDisposeScope();
        return value.to(ScalarType.Int64).cpu().contiguous().data<long>().ToArray();
    }

    private string Describe(int group)
    {
        return Options.ClassConditional
            ? string.Create(CultureInfo.InvariantCulture, $"the calibration scores of class {group}")
            : "the calibration scores";
    }
}
