using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Calibration;

/// <summary>What the estimators that calibrate model outputs share: outputs as calibrator rows, labels checked against them, and calibrated probabilities in the output's layout.</summary>
internal static class CalibratedOutputs
{
    /// <summary>Flattens outputs to calibrator rows: <c>(M, C)</c> class logits, or <c>(M)</c> binary logits, one row per sample or pixel.</summary>
    public static Tensor ToRows(Tensor output, OutputKind kind)
    {
        Preconditions.Tensor(output, "output", 1, 8);
        if (kind == OutputKind.BinaryLogit)
        {
            return output.flatten();
        }

        return output.dim() == 2 ? output.alias() : output.movedim(new long[] { 1 }, new long[] { -1 }).reshape(-1, output.shape[1]);
    }

    /// <summary>The batch's labels flattened to one per row, on the CPU; throws naming the estimator when they are missing or do not match the rows.</summary>
    public static Tensor Labels(Batch batch, int index, long rows, string estimator)
    {
        if (batch.Labels is null)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{estimator} needs labelled validation data; batch {index} has no labels."), "data");
        }

        if (rows != batch.Labels.numel())
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"batch {index} has {batch.Labels.numel()} labels for {rows} predictions (samples or pixels); they must match."),
                "data");
        }

        return batch.Labels.flatten().cpu();
    }

    /// <summary>Calibrated probabilities in the output's layout <c>(N, C[, …])</c> and dtype.</summary>
    public static Tensor Probabilities(ICalibrator calibrator, Tensor output, OutputKind kind)
    {
        using var scope = torch.NewDisposeScope();
        var probabilities = calibrator.Transform(ToRows(output, kind)).to(output.dtype);
        if (output.dim() <= 2)
        {
            return probabilities.MoveToOuterDisposeScope();
        }

        var shape = (long[])output.shape.Clone();
        shape[1] = probabilities.shape[1];
        var channelsLast = new long[shape.Length];
        channelsLast[0] = shape[0];
        Array.Copy(shape, 2, channelsLast, 1, shape.Length - 2);
        channelsLast[^1] = shape[1];
        return probabilities.reshape(channelsLast).movedim(new long[] { -1 }, new long[] { 1 }).contiguous().MoveToOuterDisposeScope();
    }
}
