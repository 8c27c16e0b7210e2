using System;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Tests.TestSupport;

/// <summary>Rasterised test shapes, (1, size, size) float32 masks.</summary>
internal static class Shapes
{
    internal static Tensor Ellipse(int size, double centreX, double centreY, double semiMajor, double semiMinor, double angle)
    {
        var values = new float[size * size];
        var (cos, sin) = (Math.Cos(angle), Math.Sin(angle));
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var (dx, dy) = (x - centreX, y - centreY);
                var along = ((dx * cos) + (dy * sin)) / semiMajor;
                var across = ((dy * cos) - (dx * sin)) / semiMinor;
                values[(y * size) + x] = (along * along) + (across * across) <= 1 ? 1f : 0f;
            }
        }

        return tensor(values).reshape(1, size, size);
    }

    /// <summary>A star with <paramref name="points"/> spikes: radius between inner and outer, linear in the angle between spikes.</summary>
    internal static Tensor Star(int size, int points, double inner, double outer)
    {
        var values = new float[size * size];
        var centre = (size - 1) / 2.0;
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var (dx, dy) = (x - centre, y - centre);
                var phase = (Math.Atan2(dy, dx) + Math.PI) / (2 * Math.PI) * points;
                var t = Math.Abs((phase - Math.Floor(phase)) - 0.5) * 2;
                var radius = inner + ((outer - inner) * t);
                values[(y * size) + x] = Math.Sqrt((dx * dx) + (dy * dy)) <= radius ? 1f : 0f;
            }
        }

        return tensor(values).reshape(1, size, size);
    }
}
