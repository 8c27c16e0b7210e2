using System;
using System.Collections.Generic;
using System.IO;
using Uqlib.Imaging;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>Picks the external slices with the highest and the lowest combined uncertainty and saves each as a PNG: the slice in
/// grayscale with its tumour mask over it (<see cref="UncertaintyMaps.SaveOverlay(Tensor, Tensor, string, HeatMapOptions?)"/>).</summary>
internal static class ExampleSlices
{
    /// <summary>The number of slices picked at each end.</summary>
    internal const int PerEnd = 4;

    /// <summary>The pictures' folder inside the report folder.</summary>
    internal const string Folder = "examples";

    /// <summary>How many times each example slice is enlarged in each direction (each pixel drawn as a block).</summary>
    internal const int Magnification = 8;

    internal static IReadOnlyList<ExampleSlice> Save(string directory, string key, LabelledSlices set, CaseTable cases, int folds)
    {
        var count = set.Slices.Count;
        var score = new double[count];
        var probability = new double[count];
        var failures = new int[count];
        var combined = cases.Scores(BiradsStudy.CombinationName);
        for (var i = 0; i < cases.Count; i++)
        {
            var slice = cases.Slices[i];
            score[slice] += combined[i] / folds;
            probability[slice] += cases.Probabilities[i] / folds;
            failures[slice] += cases.Failures[i] ? 1 : 0;
        }

        var order = new int[count];
        for (var i = 0; i < count; i++)
        {
            order[i] = i;
        }

        // Highest first; ties by slice index, so the pick is deterministic.
        Array.Sort(order, (a, b) => score[b] != score[a] ? score[b].CompareTo(score[a]) : a.CompareTo(b));
        var folder = Path.Combine(directory, Folder);
        Directory.CreateDirectory(folder);
        var options = new HeatMapOptions { ColorMap = ColorMap.Inferno, Opacity = 0.3, Minimum = 0, Maximum = 1, ColorBar = false };
        var examples = new List<ExampleSlice>();
        var perEnd = Math.Min(PerEnd, count / 2);
        foreach (var mostUncertain in new[] { true, false })
        {
            for (var rank = 0; rank < perEnd; rank++)
            {
                var slice = mostUncertain ? order[rank] : order[count - 1 - rank];
                var file = $"{key}-{(mostUncertain ? "most" : "least")}-uncertain-{rank + 1}.png";
                using (var image = set.Slices.Images[slice])
                using (var mask = set.Slices.Masks[slice])
                using (var largeImage = Enlarge(image))
                using (var largeMask = Enlarge(mask))
                {
                    UncertaintyMaps.SaveOverlay(largeImage, largeMask, Path.Combine(folder, file), options);
                }

                examples.Add(new ExampleSlice(
                    rank + 1, mostUncertain, slice, set.Slices.Patients[slice], set.Labels[slice], probability[slice], failures[slice], score[slice],
                    Folder + "/" + file));
            }
        }

        return examples;
    }

    /// <summary>Enlarges a slice (…, H, W) by <see cref="Magnification"/> in each direction, each pixel a block (nearest neighbour), so that a
    /// 32 × 32 slice is a 256 × 256 image a reader can see in the report without an image viewer's blur.</summary>
    private static Tensor Enlarge(Tensor slice) => slice.repeat_interleave(Magnification, -1).repeat_interleave(Magnification, -2);
}
