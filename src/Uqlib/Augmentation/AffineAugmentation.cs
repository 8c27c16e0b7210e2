using System;
using MathNet.Numerics.LinearAlgebra;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Uqlib.Augmentation;

/// <summary>A rotation, translation or scaling about the image centre, resampled by affine grid sampling; inverted by the inverse affine map.</summary>
/// <remarks>
/// The map is built in pixel units (so a rotation stays a rotation on non-square images) and converted to the normalised coordinates of
/// <c>affine_grid</c> (align_corners = false). Sampling is bilinear (trilinear for volumes) with border replication: a pixel that
/// comes from outside the image takes the value of the nearest edge pixel. Apply followed by Invert therefore reproduces the input
/// within interpolation error away from the edges; content pushed out of the frame is lost.
/// </remarks>
internal sealed class AffineAugmentation : IAugmentation
{
    private readonly double degrees;
    private readonly int first;
    private readonly int second;
    private readonly int translateAxis;
    private readonly double translateFraction;
    private readonly double scale;

    private AffineAugmentation(double degrees, int first, int second, int translateAxis, double translateFraction, double scale, string name)
    {
        this.degrees = degrees;
        this.first = first;
        this.second = second;
        this.translateAxis = translateAxis;
        this.translateFraction = translateFraction;
        this.scale = scale;
        Name = name;
    }

    public string Name { get; }

    public bool IsGeometric => true;

    public static AffineAugmentation Rotation(double degrees, int firstAxis, int secondAxis)
    {
        Preconditions.InRange(degrees, nameof(degrees), -180, 180);
        SpatialTensors.Axis(firstAxis, nameof(firstAxis));
        SpatialTensors.Axis(secondAxis, nameof(secondAxis));
        if (firstAxis == secondAxis)
        {
            throw new ArgumentException($"firstAxis and secondAxis must name two different axes; found ({firstAxis}, {secondAxis}).", nameof(secondAxis));
        }

        return new AffineAugmentation(degrees, firstAxis, secondAxis, 0, 0, 1, $"Rotate({SpatialTensors.Format(degrees)}°, axes {firstAxis}→{secondAxis})");
    }

    public static AffineAugmentation Translation(int axis, double fraction)
    {
        SpatialTensors.Axis(axis, nameof(axis));
        Preconditions.InRange(fraction, nameof(fraction), -1, 1);
        return new AffineAugmentation(0, -2, -1, axis, fraction, 1, $"Translate(axis {axis}, {SpatialTensors.Format(fraction)} of the size)");
    }

    public static AffineAugmentation Scaling(double factor)
    {
        Preconditions.InRange(factor, nameof(factor), 0.1, 10);
        return new AffineAugmentation(0, -2, -1, 0, 0, factor, $"Scale({SpatialTensors.Format(factor)}×)");
    }

    public Tensor Apply(Tensor inputs) => Sample(inputs, inverse: false, nameof(inputs));

    public Tensor Invert(Tensor outputs) => Sample(outputs, inverse: true, nameof(outputs));

    private Tensor Sample(Tensor value, bool inverse, string name)
    {
        var spatial = SpatialTensors.Check(value, name);
        var theta = Theta(value, spatial, inverse);
        using var scope = torch.NewDisposeScope();
        using var matrix = torch.tensor(theta, dtype: value.dtype, device: value.device);
        var batched = matrix.reshape(1, spatial, spatial + 1).expand(value.shape[0], spatial, spatial + 1);
        var grid = affine_grid(batched, value.shape, align_corners: false);
        return grid_sample(value, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border, align_corners: false).MoveToOuterDisposeScope();
    }

    /// <summary>The sampling matrix (output → input coordinates) in affine_grid's normalised, last-axis-first order.</summary>
    private double[,] Theta(Tensor value, int spatial, bool inverse)
    {
        // Forward map in pixel units about the centre, spatial dimensions in tensor order: u_out = A u_in + t.
        var forward = Matrix<double>.Build.DenseIdentity(spatial + 1);
        if (degrees != 0)
        {
            var (a, b) = SpatialTensors.Plane(first, second, spatial, "plane");
            var radians = degrees * Math.PI / 180;
            var (ia, ib) = ((int)a - 2, (int)b - 2);
            forward[ia, ia] = Math.Cos(radians);
            forward[ia, ib] = -Math.Sin(radians);
            forward[ib, ia] = Math.Sin(radians);
            forward[ib, ib] = Math.Cos(radians);
        }

        for (var i = 0; i < spatial; i++)
        {
            forward[i, i] *= scale;
        }

        if (translateFraction != 0)
        {
            var i = (int)SpatialTensors.Dimension(translateAxis, spatial, "axis") - 2;
            forward[i, spatial] = translateFraction * value.shape[2 + i];
        }

        // Normalised coordinates x = u / (size / 2).
        var half = Matrix<double>.Build.DenseIdentity(spatial + 1);
        for (var i = 0; i < spatial; i++)
        {
            half[i, i] = value.shape[2 + i] / 2.0;
        }

        var normalised = half.Inverse() * forward * half;
        var sampling = inverse ? normalised : normalised.Inverse();
        var theta = new double[spatial, spatial + 1];
        for (var i = 0; i < spatial; i++)
        {
            for (var j = 0; j < spatial; j++)
            {
                theta[i, j] = sampling[spatial - 1 - i, spatial - 1 - j];
            }

            theta[i, spatial] = sampling[spatial - 1 - i, spatial];
        }

        return theta;
    }
}
