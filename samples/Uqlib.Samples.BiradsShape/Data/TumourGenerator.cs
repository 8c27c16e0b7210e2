using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Uqlib.Samples.BiradsShape.Data;

/// <summary>Generates seeded synthetic breast-MRI tumours: smooth ellipsoids (round) and lobulated or spiculated blobs (irregular),
/// rendered as an enhancing tumour over textured parenchyma with a smooth bias field, limited resolution and Rician noise.</summary>
/// <remarks>
/// The shape is analytic: a voxel belongs to the tumour when its ellipsoidal radius ρ is at most 1 + f(u), where f sums bumps
/// <c>a·max(0, u·d)^p</c> over random directions d (a few wide bumps and dents = lobulated, many narrow spikes = spiculated, tiny bumps = round).
/// Each tumour has a random orientation and size. Every random draw comes from the seed. Not thread-safe (one call at a time per thread).
/// </remarks>
public static class TumourGenerator
{
    /// <summary>Generates <paramref name="patients"/> volumes of side <paramref name="volumeSize"/>, a fixed share of them irregular.</summary>
    /// <param name="patients">The number of patients, at least 1.</param>
    /// <param name="volumeSize">The side of each cubic volume in voxels, in [16, 128].</param>
    /// <param name="profile">How the scanner renders intensities.</param>
    /// <param name="seed">The seed of every random draw.</param>
    /// <param name="irregularFraction">The share of irregular tumours, in [0, 1]; the seed's data had about four irregular tumours to one round.</param>
    /// <returns>The volumes; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="profile"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count or the fraction is out of range.</exception>
    /// <exception cref="ArgumentException">The profile is invalid.</exception>
    public static TumourVolumes Generate(int patients, int volumeSize, ScannerProfile profile, int seed, double irregularFraction = 0.8)
    {
        ArgumentNullException.ThrowIfNull(profile);
        profile.Validate();
        if (patients < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(patients), patients, $"patients must be at least 1; found {patients}.");
        }

        if (volumeSize is < 16 or > 128)
        {
            throw new ArgumentOutOfRangeException(nameof(volumeSize), volumeSize, $"volumeSize must be in [16, 128]; found {volumeSize}.");
        }

        if (!(irregularFraction >= 0 && irregularFraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(irregularFraction), irregularFraction, $"irregularFraction must be in [0, 1]; found {irregularFraction}.");
        }

        var random = new Random(SeedMixer.Mix(seed));
        using var generator = new Generator((ulong)(uint)seed);
        var shapes = AssignShapes(patients, irregularFraction, random);
        using var scope = NewDisposeScope();
        using var coordinates = Grid(volumeSize);
        var images = new Tensor[patients];
        var masks = new Tensor[patients];
        for (var p = 0; p < patients; p++)
        {
            masks[p] = TumourMask(coordinates, volumeSize, shapes[p], random);
            images[p] = Render(masks[p], coordinates, volumeSize, profile, random, generator);
        }

        var imageStack = stack(images).MoveToOuterDisposeScope();
        var maskStack = stack(masks).MoveToOuterDisposeScope();
        return new TumourVolumes(imageStack, maskStack, shapes);
    }

    /// <summary>Draws a uniformly distributed rotation matrix (Shoemake's method from a random unit quaternion).</summary>
    /// <param name="random">The seeded source of the three uniform draws.</param>
    /// <returns>A 3×3 rotation matrix, row-major.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="random"/> is <see langword="null"/>.</exception>
    public static double[,] RandomRotation(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        double u1 = random.NextDouble(), u2 = random.NextDouble(), u3 = random.NextDouble();
        double a = Math.Sqrt(1 - u1), b = Math.Sqrt(u1);
        double w = a * Math.Sin(2 * Math.PI * u2), x = a * Math.Cos(2 * Math.PI * u2);
        double y = b * Math.Sin(2 * Math.PI * u3), z = b * Math.Cos(2 * Math.PI * u3);
        return new double[,]
        {
            { 1 - (2 * ((y * y) + (z * z))), 2 * ((x * y) - (z * w)), 2 * ((x * z) + (y * w)) },
            { 2 * ((x * y) + (z * w)), 1 - (2 * ((x * x) + (z * z))), 2 * ((y * z) - (x * w)) },
            { 2 * ((x * z) - (y * w)), 2 * ((y * z) + (x * w)), 1 - (2 * ((x * x) + (y * y))) },
        };
    }

    private static TumourShape[] AssignShapes(int patients, double irregularFraction, Random random)
    {
        var irregular = (int)Math.Round(patients * irregularFraction);
        var shapes = new TumourShape[patients];
        for (var p = 0; p < patients; p++)
        {
            shapes[p] = p < irregular ? TumourShape.Irregular : TumourShape.Round;
        }

        random.Shuffle(shapes);
        return shapes;
    }

    /// <summary>Voxel centres in [−1, 1]³, shape (S³, 3), ordered (x, y, z) with z the slowest (axial) axis.</summary>
    private static Tensor Grid(int size)
    {
        using var scope = NewDisposeScope();
        var axis = linspace(-1.0, 1.0, size, dtype: ScalarType.Float32);
        var grids = meshgrid(new[] { axis, axis, axis }, indexing: "ij");
        var zyx = stack(new[] { grids[2], grids[1], grids[0] }, dim: -1).reshape(-1, 3);
        return zyx.MoveToOuterDisposeScope();
    }

    private static Tensor TumourMask(Tensor coordinates, int size, TumourShape shape, Random random)
    {
        using var scope = NewDisposeScope();
        var rotation = ToTensor(RandomRotation(random));
        var radius = (shape == TumourShape.Round ? 0.55 : 0.38) + (0.12 * random.NextDouble());
        var semiAxes = tensor(new float[]
        {
            (float)radius, (float)(radius * (0.65 + (0.35 * random.NextDouble()))), (float)(radius * (0.65 + (0.35 * random.NextDouble()))),
        });
        var local = coordinates.matmul(rotation);
        var rho = local.div(semiAxes).square().sum(1).sqrt();
        var direction = local.div(local.norm(1, keepdim: true).clamp_min(1e-6));
        var (count, amplitude, power) = shape == TumourShape.Round
            ? (4, (0.0, 0.04), (2.0, 3.0))
            : random.NextDouble() < 0.5
                ? (6 + random.Next(5), (0.7, 1.2), (8.0, 16.0))
                : (14 + random.Next(11), (0.9, 1.5), (20.0, 50.0));
        var lobulated = shape == TumourShape.Irregular && power.Item2 < 20;
        var directions = new float[count * 3];
        var amplitudes = new float[count];
        var powers = new float[count];
        for (var j = 0; j < count; j++)
        {
            var r = RandomRotation(random);
            directions[3 * j] = (float)r[0, 2];
            directions[(3 * j) + 1] = (float)r[1, 2];
            directions[(3 * j) + 2] = (float)r[2, 2];
            var sign = lobulated && random.NextDouble() < 0.4 ? -0.6 : 1.0;
            amplitudes[j] = (float)(sign * (amplitude.Item1 + ((amplitude.Item2 - amplitude.Item1) * random.NextDouble())));
            powers[j] = (float)(power.Item1 + ((power.Item2 - power.Item1) * random.NextDouble()));
        }

        var bumps = direction.matmul(tensor(directions).reshape(count, 3).t()).clamp_min(0).pow(tensor(powers));
        var surface = bumps.matmul(tensor(amplitudes)).add(1.0);
        var mask = rho.le(surface).to(ScalarType.Float32).reshape(size, size, size);
        return mask.MoveToOuterDisposeScope();
    }

    private static Tensor Render(Tensor mask, Tensor coordinates, int size, ScannerProfile profile, Random random, Generator generator)
    {
        using var scope = NewDisposeScope();
        var parenchyma = SmoothField(size, generator).mul(0.25).add(1.0);
        var heterogeneity = SmoothField(size, generator).mul(0.15).add(1.0);
        var tumour = heterogeneity.mul(profile.TumourContrast).add(1.0);
        var partialVolume = F.avg_pool3d(mask.reshape(1, 1, size, size, size), new long[] { 3, 3, 3 }, new long[] { 1, 1, 1 }, new long[] { 1, 1, 1 })
            .reshape(size, size, size);
        var image = parenchyma.mul(partialVolume.neg().add(1.0)).add(tumour.mul(partialVolume));
        image = image.mul(BiasField(coordinates, size, profile.BiasFieldAmplitude, random));
        if (profile.ResolutionFactor > 1)
        {
            var f = profile.ResolutionFactor;
            var coarse = F.avg_pool3d(image.reshape(1, 1, size, size, size), new long[] { f, f, f }, ceil_mode: true, count_include_pad: false);
            image = F.interpolate(coarse, new long[] { size, size, size }, mode: InterpolationMode.Trilinear, align_corners: false)
                .reshape(size, size, size);
        }

        var real = image.add(randn(new long[] { size, size, size }, generator: generator).mul(profile.NoiseLevel));
        var imaginary = randn(new long[] { size, size, size }, generator: generator).mul(profile.NoiseLevel);
        return real.square().add(imaginary.square()).sqrt().MoveToOuterDisposeScope();
    }

    /// <summary>A Gaussian random field smoothed by two box filters of width 5, scaled to unit standard deviation: the parenchyma's texture.</summary>
    private static Tensor SmoothField(int size, Generator generator)
    {
        using var scope = NewDisposeScope();
        var field = randn(new long[] { 1, 1, size, size, size }, generator: generator);
        for (var pass = 0; pass < 2; pass++)
        {
            field = F.avg_pool3d(field, new long[] { 5, 5, 5 }, new long[] { 1, 1, 1 }, new long[] { 2, 2, 2 }, count_include_pad: false);
        }

        field = field.sub(field.mean()).div(field.std().clamp_min(1e-6));
        return field.reshape(size, size, size).MoveToOuterDisposeScope();
    }

    /// <summary>1 + amplitude·g, where g is a random combination of the linear and quadratic monomials of (x, y, z) scaled to max |g| = 1.</summary>
    private static Tensor BiasField(Tensor coordinates, int size, double amplitude, Random random)
    {
        using var scope = NewDisposeScope();
        var x = coordinates[.., 0];
        var y = coordinates[.., 1];
        var z = coordinates[.., 2];
        var terms = new[] { x, y, z, x * y, x * z, y * z, x * x, y * y, z * z };
        var field = zeros_like(x);
        foreach (var term in terms)
        {
            field = field.add(term.mul((2 * random.NextDouble()) - 1));
        }

        field = field.div(field.abs().max().clamp_min(1e-6)).mul(amplitude).add(1.0);
        return field.reshape(size, size, size).MoveToOuterDisposeScope();
    }

    private static Tensor ToTensor(double[,] matrix)
    {
        var values = new float[9];
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                values[(3 * i) + j] = (float)matrix[i, j];
            }
        }

        return tensor(values).reshape(3, 3);
    }
}
