using System;
using System.Collections.Generic;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Latent;
using static TorchSharp.torch;

namespace Uqlib.Interop;

/// <summary>
/// Exports fitted statistics as <c>.npz</c> archives that Python reads with <c>np.load</c>: the latent-space detectors' means, covariances,
/// precisions and banks, and the calibrators' parameters, under documented snake_case names.
/// </summary>
/// <remarks>
/// An export is for reading the statistics elsewhere (NumPy, PyTorch, a paper's figure); to reuse a fitted value in .NET, save it with its own
/// <c>Save</c> and <c>Load</c>, which keep everything needed to score identically. Exports read each value only through its public API and never
/// change or dispose it. Every archive is uncompressed (as <c>np.savez</c> writes) and written atomically.
/// </remarks>
public static class NpzExport
{
    /// <summary>Exports a Mahalanobis detector (Lee et al. 2018): class means, shared covariance and its pseudo-inverse.</summary>
    /// <param name="path">The archive; overwritten.</param>
    /// <param name="detector">The fitted detector; not disposed.</param>
    /// <remarks>Arrays: <c>class_means</c> <c>(C, F)</c> float64 (one row for the class-agnostic variant); <c>covariance</c> <c>(F, F)</c> float64;
    /// <c>precision</c> <c>(F, F)</c> float64, the pseudo-inverse of the covariance (<see cref="Latent.CovarianceEstimate.Precision"/>, SciPy <c>pinvh</c>'s rule); <c>shrinkage</c> () float64, the Ledoit–Wolf shrinkage (0 when
    /// empirical); <c>class_agnostic</c> () bool. The score of x is min over c of (x − μ_c)ᵀ P (x − μ_c).</remarks>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="System.IO.IOException">The file cannot be written.</exception>
    public static void Write(string path, MahalanobisDetector detector)
    {
        Export(path, detector, nameof(detector), arrays =>
        {
            AddGaussian(arrays, string.Empty, detector);
            arrays.Add("class_agnostic", torch.tensor(detector.IsClassAgnostic));
        });
    }

    /// <summary>Exports a relative Mahalanobis detector (Ren et al. 2021): the class-conditional Gaussians and the background Gaussian.</summary>
    /// <param name="path">The archive; overwritten.</param>
    /// <param name="detector">The fitted detector; not disposed.</param>
    /// <remarks>Arrays: <c>class_means</c>, <c>covariance</c>, <c>precision</c>, <c>shrinkage</c> as for <see cref="Write(string, MahalanobisDetector)"/>,
    /// and <c>background_mean</c> <c>(1, F)</c>, <c>background_covariance</c>, <c>background_precision</c>, <c>background_shrinkage</c> for the
    /// Gaussian of all training features. The score is the class-conditional score minus the background one.</remarks>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="System.IO.IOException">The file cannot be written.</exception>
    public static void Write(string path, RelativeMahalanobisDetector detector)
    {
        Export(path, detector, nameof(detector), arrays =>
        {
            AddGaussian(arrays, string.Empty, detector.ClassConditional);
            AddGaussian(arrays, "background_", detector.Background);
        });
    }

    /// <summary>Exports a kNN detector (Sun et al. 2022): its bank of normalised training features and k.</summary>
    /// <param name="path">The archive; overwritten.</param>
    /// <param name="detector">The fitted detector; not disposed.</param>
    /// <remarks>Arrays: <c>bank</c> <c>(M, F)</c> float64, L2-normalised rows; <c>k</c> () int64. The score of x is the Euclidean distance of
    /// x/|x| to its k-th nearest row of the bank.</remarks>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="System.IO.IOException">The file cannot be written.</exception>
    public static void Write(string path, KnnDetector detector)
    {
        Export(path, detector, nameof(detector), arrays =>
        {
            arrays.Add("bank", detector.Bank);
            arrays.Add("k", torch.tensor((long)detector.K));
        });
    }

    /// <summary>Exports a ViM detector (Wang et al. 2022): the final layer, the origin, the residual basis and α.</summary>
    /// <param name="path">The archive; overwritten.</param>
    /// <param name="detector">The fitted detector; not disposed.</param>
    /// <remarks>Arrays, all float64: <c>weight</c> <c>(C, F)</c>; <c>bias</c> <c>(C)</c>; <c>origin</c> <c>(F)</c>; <c>residual_basis</c>
    /// <c>(F, F − D)</c>; <c>alpha</c> ().</remarks>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="System.IO.IOException">The file cannot be written.</exception>
    public static void Write(string path, VimDetector detector)
    {
        Export(path, detector, nameof(detector), arrays =>
        {
            arrays.Add("weight", detector.Weight);
            arrays.Add("bias", detector.Bias);
            arrays.Add("origin", detector.Origin);
            arrays.Add("residual_basis", detector.ResidualBasis);
            arrays.Add("alpha", torch.tensor(detector.Alpha));
        });
    }

    /// <summary>Exports temperature scaling (Guo et al. 2017): calibrated probabilities are softmax(z / T).</summary>
    /// <param name="path">The archive; overwritten.</param>
    /// <param name="calibrator">The fitted calibrator.</param>
    /// <remarks>Arrays: <c>temperature</c> () float64; <c>classes</c> () int64.</remarks>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="System.IO.IOException">The file cannot be written.</exception>
    public static void Write(string path, TemperatureScaling calibrator)
    {
        Export(path, calibrator, nameof(calibrator), arrays =>
        {
            arrays.Add("temperature", torch.tensor(calibrator.Temperature));
            arrays.Add("classes", torch.tensor((long)calibrator.Classes));
        });
    }

    /// <summary>Exports vector scaling (Guo et al. 2017): calibrated probabilities are softmax(w ⊙ z + b).</summary>
    /// <param name="path">The archive; overwritten.</param>
    /// <param name="calibrator">The fitted calibrator.</param>
    /// <remarks>Arrays: <c>weights</c> <c>(C)</c> float64; <c>bias</c> <c>(C)</c> float64.</remarks>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="System.IO.IOException">The file cannot be written.</exception>
    public static void Write(string path, VectorScaling calibrator)
    {
        Export(path, calibrator, nameof(calibrator), arrays =>
        {
            arrays.Add("weights", torch.tensor(calibrator.Weights.ToArray()));
            arrays.Add("bias", torch.tensor(calibrator.Bias.ToArray()));
        });
    }

    /// <summary>Exports matrix scaling (Guo et al. 2017): calibrated probabilities are softmax(z Wᵀ + b).</summary>
    /// <param name="path">The archive; overwritten.</param>
    /// <param name="calibrator">The fitted calibrator.</param>
    /// <remarks>Arrays: <c>weights</c> <c>(C, C)</c> float64, row c holding the weights of class c's scaled logit; <c>bias</c> <c>(C)</c> float64.</remarks>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="System.IO.IOException">The file cannot be written.</exception>
    public static void Write(string path, MatrixScaling calibrator)
    {
        Export(path, calibrator, nameof(calibrator), arrays =>
        {
            arrays.Add("weights", torch.tensor(calibrator.Weights.ToArray(), new long[] { calibrator.Classes, calibrator.Classes }));
            arrays.Add("bias", torch.tensor(calibrator.Bias.ToArray()));
        });
    }

    /// <summary>Exports Platt scaling (Platt 1999): the calibrated probability is sigmoid(a·z + b).</summary>
    /// <param name="path">The archive; overwritten.</param>
    /// <param name="calibrator">The fitted calibrator.</param>
    /// <remarks>Arrays: <c>slope</c> () float64 (a); <c>intercept</c> () float64 (b).</remarks>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="System.IO.IOException">The file cannot be written.</exception>
    public static void Write(string path, PlattScaling calibrator)
    {
        Export(path, calibrator, nameof(calibrator), arrays =>
        {
            arrays.Add("slope", torch.tensor(calibrator.Slope));
            arrays.Add("intercept", torch.tensor(calibrator.Intercept));
        });
    }

    /// <summary>Checks the arguments, fills the arrays under one dispose scope (which collects every copy made) and writes the archive.</summary>
    private static void Export(string path, object value, string name, Action<Dictionary<string, Tensor>> fill)
    {
        Preconditions.FilePath(path, nameof(path));
        ArgumentNullException.ThrowIfNull(value, name);
        using var scope = torch.NewDisposeScope();
        var arrays = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        fill(arrays);
        Npz.Write(path, arrays);
    }

    /// <summary>Adds one Gaussian's means, covariance, precision and shrinkage; the caller's dispose scope collects the copies made here.</summary>
    private static void AddGaussian(Dictionary<string, Tensor> arrays, string prefix, MahalanobisDetector detector)
    {
        using var covariance = detector.Covariance;
        arrays.Add(prefix.Length == 0 ? "class_means" : prefix + "mean", detector.ClassMeans);
        arrays.Add(prefix + "covariance", covariance.Matrix);
        arrays.Add(prefix + "precision", covariance.Precision);
        arrays.Add(prefix + "shrinkage", torch.tensor(covariance.Shrinkage));
    }
}
