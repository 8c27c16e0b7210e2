using System;
using System.Globalization;

namespace Uqlib.Imaging;

/// <summary>
/// An immutable 4 × 4 affine from voxel indices (i, j, k) to world coordinates (x, y, z), usually in millimetres, in NIfTI's RAS+
/// convention: +x points to the patient's Right, +y Anterior, +z Superior.
/// </summary>
/// <remarks>The last row is always (0, 0, 0, 1). Values are float64; a NIfTI-1 file stores float32, NIfTI-2 float64.</remarks>
public sealed class NiftiAffine : IEquatable<NiftiAffine>
{
    private readonly double[] _values;

    private NiftiAffine(double[] values) => _values = values;

    /// <summary>Gets the identity affine (1 mm voxels, origin at voxel 0).</summary>
    public static NiftiAffine Identity { get; } = new(new double[] { 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1 });

    /// <summary>Gets the value at a row and column.</summary>
    /// <param name="row">The row, 0 to 3.</param>
    /// <param name="column">The column, 0 to 3.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> or <paramref name="column"/> is outside 0 to 3.</exception>
    public double this[int row, int column]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(row);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(row, 3);
            ArgumentOutOfRangeException.ThrowIfNegative(column);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(column, 3);
            return _values[(row * 4) + column];
        }
    }

    /// <summary>Creates an affine from a 4 × 4 (or 3 × 4, the last row implied) array of finite values.</summary>
    /// <param name="values">The matrix, row by row; it is copied.</param>
    /// <returns>The affine.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="values"/> is not 4 × 4 or 3 × 4, holds a NaN or infinite value, or its last row is not (0, 0, 0, 1).</exception>
    public static NiftiAffine FromArray(double[,] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int rows = values.GetLength(0);
        if (rows is not (3 or 4) || values.GetLength(1) != 4)
        {
            throw new ArgumentException(Invariant($"values must be 4 × 4 or 3 × 4; found {rows} × {values.GetLength(1)}."), nameof(values));
        }

        var copy = new double[16];
        copy[15] = 1;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < 4; c++)
            {
                double v = values[r, c];
                if (!double.IsFinite(v))
                {
                    throw new ArgumentException(Invariant($"values must be finite; found {v} at [{r}, {c}]."), nameof(values));
                }

                copy[(r * 4) + c] = v;
            }
        }

        if (copy[12] != 0 || copy[13] != 0 || copy[14] != 0 || copy[15] != 1)
        {
            throw new ArgumentException(Invariant($"values' last row must be (0, 0, 0, 1); found ({copy[12]}, {copy[13]}, {copy[14]}, {copy[15]})."), nameof(values));
        }

        return new NiftiAffine(copy);
    }

    /// <summary>Copies the affine into a new 4 × 4 array.</summary>
    /// <returns>The matrix, row by row.</returns>
    public double[,] ToArray()
    {
        var result = new double[4, 4];
        for (int i = 0; i < 16; i++)
        {
            result[i / 4, i % 4] = _values[i];
        }

        return result;
    }

    /// <inheritdoc/>
    public bool Equals(NiftiAffine? other) => other is not null && _values.AsSpan().SequenceEqual(other._values);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as NiftiAffine);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        foreach (double v in _values)
        {
            hash.Add(v);
        }

        return hash.ToHashCode();
    }

    /// <summary>Formats the affine as three rows, e.g. <c>[[0.7, 0, 0, -12.5], [0, 0.7, 0, 3], [0, 0, 2.5, 7]]</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Invariant(
        $"[[{_values[0]}, {_values[1]}, {_values[2]}, {_values[3]}], [{_values[4]}, {_values[5]}, {_values[6]}, {_values[7]}], [{_values[8]}, {_values[9]}, {_values[10]}, {_values[11]}]]");

    internal static NiftiAffine FromRows(ReadOnlySpan<double> twelve)
    {
        var copy = new double[16];
        twelve[..12].CopyTo(copy);
        copy[15] = 1;
        return new NiftiAffine(copy);
    }

    internal double At(int row, int column) => _values[(row * 4) + column];

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
