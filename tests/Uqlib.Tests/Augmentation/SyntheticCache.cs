using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Tests.Augmentation;

/// <summary>Rebuilds, bit for bit in its noise, the synthetic cache of Reference/make_gps.py (SplitMix64 uniforms, 12-sum normals).</summary>
internal static class SyntheticCache
{
    public const int Candidates = 30;
    public const int Samples = 2000;
    public const int Classes = 5;

    /// <summary>Returns float64 log-probabilities (30, 2000, 5) and int64 labels (2000); the caller disposes both.</summary>
    public static (Tensor LogProbabilities, Tensor Labels) Create()
    {
        var labels = new long[Samples];
        for (var i = 0; i < Samples; i++)
        {
            labels[i] = (long)System.Math.Floor(Uniform((ulong)i + (7UL << 40)) * Classes);
        }

        var shared = Noise(1, Samples * Classes);
        var logits = new double[Candidates * Samples * Classes];
        for (var k = 0; k < Candidates; k++)
        {
            double[]? own = k switch
            {
                0 => null,
                <= 14 => Noise(100 + k, Samples * Classes),
                <= 22 => Noise(200 + k, Samples * Classes),
                <= 26 => Noise(300 + k, Samples * Classes),
                _ => Noise(400 + k, Samples * Classes),
            };
            var fraction = 0.1 * (k - 14);
            for (var i = 0; i < Samples; i++)
            {
                var rolled = k is >= 15 and <= 22 && Uniform((ulong)i + ((ulong)(200 + k) << 40)) < fraction;
                for (var c = 0; c < Classes; c++)
                {
                    var at = (i * Classes) + c;
                    double Z(int cls) => (labels[i] == cls ? 2.5 : 0.0) + (1.5 * shared[(i * Classes) + cls]);
                    var signal = labels[i] == c ? 2.5 : 0.0;
                    logits[(k * Samples * Classes) + at] = k switch
                    {
                        0 => Z(c),
                        <= 14 => signal + (0.9 * shared[at]) + ((1.0 + (0.05 * k)) * own![at]),
                        <= 22 => (rolled ? Z((c + Classes - 1) % Classes) : Z(c)) + (0.3 * own![at]),
                        <= 26 => Z(c) + (4.0 * own![at]),
                        _ => (Z(c) / 3.0) + (0.5 * own![at]),
                    };
                }
            }
        }

        using var raw = torch.tensor(logits, new long[] { Candidates, Samples, Classes }, ScalarType.Float64);
        return (raw.log_softmax(2), torch.tensor(labels));
    }

    private static double[] Noise(int stream, int count)
    {
        var result = new double[count];
        var start = (ulong)stream << 32;
        for (var i = 0; i < count; i++)
        {
            var total = 0.0;
            for (var j = 0; j < 12; j++)
            {
                total += Uniform(start + (ulong)((i * 12) + j));
            }

            result[i] = total - 6.0;
        }

        return result;
    }

    private static double Uniform(ulong counter)
    {
        unchecked
        {
            var x = (counter + 1) * 0x9E3779B97F4A7C15UL;
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
            x ^= x >> 31;
            return (x >> 11) * (1.0 / 9007199254740992.0);
        }
    }
}
