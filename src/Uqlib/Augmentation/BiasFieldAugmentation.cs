using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>
/// An MRI-style smooth multiplicative bias field: min + (x − min)·exp(magnitude·Σ c_k·m_k), the m_k being the monomials of degree 1 and 2
/// of the spatial coordinates normalised to [−1, 1] and the c_k drawn uniformly in [−1, 1] from the seed (in a fixed order).
/// </summary>
/// <remarks>A polynomial log-field as in TorchIO's RandomBiasField (Pérez-García et al. 2021; Sudre et al. 2017), here of order 2.</remarks>
internal sealed class BiasFieldAugmentation : IntensityAugmentation
{
    private readonly double magnitude;
    private readonly int seed;

    public BiasFieldAugmentation(double magnitude, int seed)
    {
        this.magnitude = Preconditions.InRange(magnitude, nameof(magnitude), 0, 2);
        this.seed = seed;
    }

    public override string Name => string.Create(CultureInfo.InvariantCulture, $"BiasField({SpatialTensors.Format(magnitude)}, seed {seed})");

    protected override Tensor ApplyCore(Tensor inputs)
    {
        var spatial = (int)inputs.dim() - 2;
        var random = new Random(seed);
        var coordinates = new Tensor[spatial];
        for (var i = 0; i < spatial; i++)
        {
            var shape = new long[inputs.dim()];
            Array.Fill(shape, 1L);
            shape[2 + i] = inputs.shape[2 + i];
            coordinates[i] = torch.linspace(-1, 1, inputs.shape[2 + i], dtype: inputs.dtype, device: inputs.device).reshape(shape);
        }

        Tensor log = torch.zeros(1, dtype: inputs.dtype, device: inputs.device);
        for (var i = 0; i < spatial; i++)
        {
            for (var j = i; j < spatial; j++)
            {
                log = log.add(coordinates[i].mul(coordinates[j]).mul_(Draw(random)));
            }

            log = log.add(coordinates[i].mul(Draw(random)));
        }

        var field = log.mul(magnitude).exp_();
        var (low, _) = SpatialTensors.MinRange(inputs);
        return inputs.sub(low).mul_(field).add_(low);
    }

    private static double Draw(Random random) => (2 * random.NextDouble()) - 1;
}
