using System;
using System.Collections.Generic;
using MathNet.Numerics.LinearAlgebra;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Imaging;

/// <summary>
/// How a volume's voxel axes map onto the closest canonical orientation (RAS: the first axis towards the patient's Right, the second
/// Anterior, the third Superior), and the flips and transposition that take data there and back.
/// </summary>
/// <remarks>
/// Computed as nibabel's <c>io_orientation</c>: the affine's 3 × 3 part with unit columns is replaced by its closest orthogonal matrix
/// (from its singular value decomposition), then each voxel axis in turn takes the world axis its column points along most strongly,
/// which is then removed from the choice. <see cref="ToCanonical(Tensor)"/> gives the data <c>nibabel.as_closest_canonical</c> gives.
/// Immutable and thread-safe.
/// </remarks>
public sealed class NiftiOrientation
{
    private static readonly string[] Negative = ["L", "P", "I"];
    private static readonly string[] Positive = ["R", "A", "S"];

    /// <summary>The float64 machine epsilon, 2⁻⁵², as NumPy's <c>finfo(float64).eps</c>.</summary>
    private const double MachineEpsilon = 2.220446049250313e-16;

    private readonly int[] _axes;
    private readonly int[] _flips;

    private NiftiOrientation(int[] axes, int[] flips)
    {
        _axes = axes;
        _flips = flips;
        string codes = string.Empty;
        bool canonical = true;
        for (int i = 0; i < 3; i++)
        {
            codes += flips[i] > 0 ? Positive[axes[i]] : Negative[axes[i]];
            canonical &= axes[i] == i && flips[i] > 0;
        }

        AxisCodes = codes;
        IsCanonical = canonical;
    }

    /// <summary>Gets, for each voxel axis (i, j, k), the world axis (0 = x, 1 = y, 2 = z) it is closest to.</summary>
    public IReadOnlyList<int> WorldAxes => _axes;

    /// <summary>Gets, for each voxel axis, +1 when it points along its world axis and −1 when it points against it.</summary>
    public IReadOnlyList<int> Directions => _flips;

    /// <summary>Gets the axis codes, such as <c>"RAS"</c> or <c>"LPS"</c>.</summary>
    public string AxisCodes { get; }

    /// <summary>Gets a value indicating whether the voxel axes are already canonical (RAS), so reorienting changes nothing.</summary>
    public bool IsCanonical { get; }

    /// <summary>Reorients data from the file's voxel order to the canonical (RAS) order, flipping and transposing its first three axes.</summary>
    /// <param name="data">Data in the file's order, <c>(X, Y, Z, …)</c> (a 2-D image <c>(X, Y, …)</c> is treated as having one slice).</param>
    /// <returns>A new contiguous tensor in canonical order; the caller disposes it. Trailing axes (time, channels) are kept.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="data"/> has fewer than two dimensions.</exception>
    public Tensor ToCanonical(Tensor data) => Reorient(data, nameof(data), toCanonical: true);

    /// <summary>Reorients data from canonical (RAS) order back to the file's voxel order: the inverse of <see cref="ToCanonical(Tensor)"/>.</summary>
    /// <param name="data">Data in canonical order, <c>(X, Y, Z, …)</c>, such as an uncertainty map computed on reoriented input.</param>
    /// <returns>A new contiguous tensor in the file's order; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="data"/> has fewer than two dimensions.</exception>
    public Tensor FromCanonical(Tensor data) => Reorient(data, nameof(data), toCanonical: false);

    /// <summary>The affine of the canonically reoriented volume: voxel j of the new order lies where voxel i(j) of the old one did.</summary>
    internal NiftiAffine CanonicalAffine(NiftiAffine affine, IReadOnlyList<long> shape)
    {
        Span<double> rows = stackalloc double[12];
        for (int row = 0; row < 3; row++)
        {
            double translation = affine.At(row, 3);
            for (int axis = 0; axis < 3; axis++)
            {
                double column = affine.At(row, axis);
                rows[(row * 4) + _axes[axis]] = _flips[axis] * column;
                if (_flips[axis] < 0)
                {
                    long size = axis < shape.Count ? shape[axis] : 1;
                    translation += (size - 1) * column;
                }
            }

            rows[(row * 4) + 3] = translation;
        }

        return NiftiAffine.FromRows(rows);
    }

    internal static NiftiOrientation FromAffine(NiftiAffine affine)
    {
        var rzs = Matrix<double>.Build.Dense(3, 3);
        for (int col = 0; col < 3; col++)
        {
            double norm = 0;
            for (int row = 0; row < 3; row++)
            {
                norm += affine.At(row, col) * affine.At(row, col);
            }

            norm = norm == 0 ? 1 : Math.Sqrt(norm);
            for (int row = 0; row < 3; row++)
            {
                rzs[row, col] = affine.At(row, col) / norm;
            }
        }

        var svd = rzs.Svd(computeVectors: true);
        double tolerance = svd.S.Maximum() * 3 * MachineEpsilon;
        var u = svd.U;
        var vt = svd.VT;
        var r = Matrix<double>.Build.Dense(3, 3);
        for (int k = 0; k < 3; k++)
        {
            if (svd.S[k] <= tolerance)
            {
                continue;
            }

            r += u.Column(k).OuterProduct(vt.Row(k));
        }

        var axes = new int[3];
        var flips = new int[3];
        var taken = new bool[3];
        for (int input = 0; input < 3; input++)
        {
            int best = -1;
            double bestValue = 0;
            for (int output = 0; output < 3; output++)
            {
                double v = Math.Abs(r[output, input]);
                if (v > bestValue)
                {
                    best = output;
                    bestValue = v;
                }
            }

            if (best < 0)
            {
                // A degenerate (zero) column: keep the axis where it is, pointing forwards.
                best = FirstFree(taken, input);
                flips[input] = 1;
            }
            else
            {
                flips[input] = r[best, input] < 0 ? -1 : 1;
            }

            axes[input] = best;
            taken[best] = true;
            for (int c = 0; c < 3; c++)
            {
                r[best, c] = 0;
            }
        }

        return new NiftiOrientation(axes, flips);
    }

    private static int FirstFree(bool[] taken, int preferred)
    {
        if (!taken[preferred])
        {
            return preferred;
        }

        for (int i = 0; i < 3; i++)
        {
            if (!taken[i])
            {
                return i;
            }
        }

        throw new InvalidOperationException("No free world axis.");
    }

    private Tensor Reorient(Tensor data, string name, bool toCanonical)
    {
        ArgumentNullException.ThrowIfNull(data, name);
        if (data.dim() < 2)
        {
            throw new ArgumentException($"{name} must have at least two dimensions (X, Y, …); found shape [{string.Join(", ", data.shape)}].", name);
        }

        using var scope = torch.NewDisposeScope();
        bool planar = data.dim() == 2;
        Tensor t = planar ? data.unsqueeze(2) : data.alias();
        var order = new long[t.dim()];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        if (toCanonical)
        {
            // Flip along the old axes, then move old axis a to position axes[a].
            var flipped = FlippedAxes();
            if (flipped.Length > 0)
            {
                t = t.flip(flipped);
            }

            for (int a = 0; a < 3; a++)
            {
                order[_axes[a]] = a;
            }

            t = t.permute(order);
        }
        else
        {
            // New position axes[a] comes back to old axis a, then the old axes are flipped back.
            for (int a = 0; a < 3; a++)
            {
                order[a] = _axes[a];
            }

            t = t.permute(order);
            var flipped = FlippedAxes();
            if (flipped.Length > 0)
            {
                t = t.flip(flipped);
            }
        }

        if (planar && t.shape[2] == 1)
        {
            t = t.squeeze(2);
        }

        return t.contiguous().MoveToOuterDisposeScope();
    }

    private long[] FlippedAxes()
    {
        var list = new List<long>(3);
        for (int a = 0; a < 3; a++)
        {
            if (_flips[a] < 0)
            {
                list.Add(a);
            }
        }

        return list.ToArray();
    }
}
