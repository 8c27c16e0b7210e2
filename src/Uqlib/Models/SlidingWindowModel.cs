using System;
using System.Collections.Generic;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Models;

/// <summary>
/// Runs a model trained on patches over whole images <c>(N, C, H, W)</c> or volumes <c>(N, C, D, H, W)</c> larger than its input: windows
/// slide over the input, their outputs are blended where they overlap, and the result has the input's spatial size.
/// </summary>
/// <remarks>
/// <para>
/// MONAI's <c>sliding_window_inference</c> semantics: an input smaller than the window along an axis is padded to it (half before,
/// rounded down, the rest after); windows start every <c>int(roi × (1 − overlap))</c> voxels (the whole axis where the window spans it),
/// the last one shifted back to end at the edge; windows of all images go to the model <see cref="SlidingWindowOptions.WindowBatchSize"/>
/// at a time, in C order; each window's logits are weighted by the importance map (1, or a Gaussian of σ = SigmaScale × roi per axis,
/// clamped below at max(its minimum, 10⁻³)) and summed; the sum is divided by the summed weights and the padding cropped off.
/// </para>
/// <para>
/// The wrapped model must return logits with the window's spatial shape, <c>(B, K, *roi)</c>. Features it returns per window,
/// <c>(B, F)</c>, are averaged over each image's windows to <c>(N, F)</c>, so latent-space methods see one vector per image.
/// Peak memory is the output and its weights (the input's spatial size × K) plus one window batch, never all windows at once.
/// Thread-safe when the wrapped model is.
/// </para>
/// </remarks>
public sealed class SlidingWindowModel : IModel
{
    private readonly IModel _model;
    private readonly int[] _roi;

    /// <summary>Initializes a new instance of the <see cref="SlidingWindowModel"/> class.</summary>
    /// <param name="model">The patch-trained model; it is not disposed.</param>
    /// <param name="options">The window size, overlap, blend, batch and padding.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> is invalid.</exception>
    public SlidingWindowModel(IModel model, SlidingWindowOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _model = model;
        Options = options;
        _roi = [.. options.RoiSize];
    }

    /// <inheritdoc/>
    public OutputKind OutputKind => _model.OutputKind;

    /// <summary>Gets the window options.</summary>
    public SlidingWindowOptions Options { get; }

    /// <summary>Runs the wrapped model over every window of the batch and blends the windows' logits.</summary>
    /// <param name="inputs">Images <c>(N, C, H, W)</c> or volumes <c>(N, C, D, H, W)</c>, as many spatial axes as <see cref="SlidingWindowOptions.RoiSize"/> has.</param>
    /// <returns>Logits <c>(N, K, *spatial)</c> of the input's spatial size, and features <c>(N, F)</c> where the model gives them; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="inputs"/> has another number of spatial axes than the window, or is empty.</exception>
    /// <exception cref="InvalidOperationException">The wrapped model returned logits without the window's spatial shape.</exception>
    public ModelOutput Forward(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int d = _roi.Length;
        if (inputs.dim() != d + 2 || inputs.numel() == 0)
        {
            throw new ArgumentException(
                Invariant($"inputs must be (N, C, {(d == 2 ? "H, W" : "D, H, W")}) for a {d}-D window and not empty; found shape [{string.Join(", ", inputs.shape)}]."),
                nameof(inputs));
        }

        using var scope = torch.NewDisposeScope();
        using var inference = torch.inference_mode();
        long n = inputs.shape[0];
        var size = new long[d];
        var before = new long[d];
        var pads = new long[2 * d];
        for (int i = 0; i < d; i++)
        {
            size[i] = inputs.shape[2 + i];
            long diff = Math.Max(_roi[i] - size[i], 0);
            before[i] = diff / 2;

            // torch's pad lists the last axis first.
            pads[2 * (d - 1 - i)] = diff / 2;
            pads[(2 * (d - 1 - i)) + 1] = diff - (diff / 2);
        }

        var padded = Pad(inputs, pads);
        var paddedSize = new long[d];
        for (int i = 0; i < d; i++)
        {
            paddedSize[i] = padded.shape[2 + i];
        }

        var starts = WindowStarts(paddedSize);
        var importance = ImportanceMap(padded.device);
        var weight = torch.zeros(paddedSize, ScalarType.Float32, padded.device);
        foreach (var start in starts)
        {
            Window(weight, start, 0).add_(importance);
        }

        Tensor? output = null;
        Tensor? featureSum = null;
        long total = n * starts.Count;
        for (long first = 0; first < total; first += Options.WindowBatchSize)
        {
            using var batchScope = torch.NewDisposeScope();
            int count = (int)Math.Min(Options.WindowBatchSize, total - first);
            var crops = new Tensor[count];
            for (int j = 0; j < count; j++)
            {
                long w = first + j;
                crops[j] = Window(padded[w / starts.Count], starts[(int)(w % starts.Count)], 1);
            }

            using var result = _model.Forward(torch.stack(crops));
            var logits = CheckLogits(result.Logits, count);
            if (output is null)
            {
                var shape = new long[2 + d];
                shape[0] = n;
                shape[1] = logits.shape[1];
                Array.Copy(paddedSize, 0, shape, 2, d);
                output = torch.zeros(shape, logits.dtype, logits.device).MoveToOuterDisposeScope();
            }

            for (int j = 0; j < count; j++)
            {
                long w = first + j;
                Window(output[w / starts.Count], starts[(int)(w % starts.Count)], 1).addcmul_(logits[j], importance, 1);
            }

            if (result.Features is { } features)
            {
                featureSum ??= torch.zeros(new[] { n, features.shape[1] }, features.dtype, features.device).MoveToOuterDisposeScope();
                for (int j = 0; j < count; j++)
                {
                    featureSum[(first + j) / starts.Count].add_(features[j]);
                }
            }
        }

        var blended = output!.div_(weight);
        for (int i = 0; i < d; i++)
        {
            blended = blended.narrow(2 + i, before[i], size[i]);
        }

        var logitsOut = blended.contiguous();
        var featuresOut = featureSum?.div_(starts.Count);
        return new ModelOutput(logitsOut.MoveToOuterDisposeScope(), featuresOut?.MoveToOuterDisposeScope());
    }

    private static Tensor Window(Tensor t, long[] start, int leading, int[] roi)
    {
        var result = t;
        for (int i = 0; i < start.Length; i++)
        {
            result = result.narrow(leading + i, start[i], roi[i]);
        }

        return result;
    }

    private Tensor Window(Tensor t, long[] start, int leading) => Window(t, start, leading, _roi);

    private Tensor Pad(Tensor inputs, long[] pads)
    {
        bool any = false;
        foreach (long p in pads)
        {
            any |= p > 0;
        }

        if (!any)
        {
            return inputs.alias();
        }

        return Options.Padding switch
        {
            SlidingWindowPadding.Constant => nn.functional.pad(inputs, pads, PaddingModes.Constant, Options.PaddingValue),
            SlidingWindowPadding.Reflect => nn.functional.pad(inputs, pads, PaddingModes.Reflect),
            _ => nn.functional.pad(inputs, pads, PaddingModes.Replicate),
        };
    }

    /// <summary>Window start corners in C order: per axis idx × interval, shifted back so the window ends inside the input.</summary>
    private List<long[]> WindowStarts(long[] size)
    {
        int d = size.Length;
        var perAxis = new long[d][];
        for (int i = 0; i < d; i++)
        {
            long roi = _roi[i];
            long interval = roi == size[i] ? roi : Math.Max((long)(roi * (1 - Options.Overlap)), 1);
            long count = 1;
            while (((count - 1) * interval) + roi < size[i])
            {
                count++;
            }

            perAxis[i] = new long[count];
            for (long k = 0; k < count; k++)
            {
                long start = k * interval;
                perAxis[i][k] = start - Math.Max(start + roi - size[i], 0);
            }
        }

        var result = new List<long[]>();
        var index = new int[d];
        while (true)
        {
            var corner = new long[d];
            for (int i = 0; i < d; i++)
            {
                corner[i] = perAxis[i][index[i]];
            }

            result.Add(corner);
            int axis = d - 1;
            while (axis >= 0 && ++index[axis] == perAxis[axis].Length)
            {
                index[axis] = 0;
                axis--;
            }

            if (axis < 0)
            {
                return result;
            }
        }
    }

    /// <summary>MONAI's importance map: ones, or the product of per-axis Gaussians clamped below at max(minimum, 10⁻³).</summary>
    private Tensor ImportanceMap(Device device)
    {
        if (Options.Blend == SlidingWindowBlend.Constant)
        {
            return torch.ones(Array.ConvertAll(_roi, r => (long)r), ScalarType.Float32, device);
        }

        Tensor? map = null;
        for (int i = 0; i < _roi.Length; i++)
        {
            int r = _roi[i];
            float sigma = (float)(r * Options.SigmaScale);
            float denominator = -2f * sigma * sigma;
            var x = torch.arange(-(r - 1) / 2.0, ((r - 1) / 2.0) + 1, 1.0, ScalarType.Float32, device);
            var g = x.mul(x).div(denominator).exp();
            map = map is null ? g : map.unsqueeze(-1).mul(g);
        }

        double floor = Math.Max(map!.min().item<float>(), 1e-3);
        return map.clamp_min(floor);
    }

    private Tensor CheckLogits(Tensor logits, int count)
    {
        bool ok = logits.dim() == _roi.Length + 2 && logits.shape[0] == count;
        for (int i = 0; ok && i < _roi.Length; i++)
        {
            ok = logits.shape[2 + i] == _roi[i];
        }

        if (!ok)
        {
            throw new InvalidOperationException(Invariant(
                $"The wrapped model returned logits of shape [{string.Join(", ", logits.shape)}] for {count} windows of [{string.Join(", ", _roi)}]; a sliding-window model needs ({count}, K, {string.Join(", ", _roi)})."));
        }

        return logits;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
