using System;
using Uqlib.Latent;
using Uqlib.Segmentation;
using static TorchSharp.torch;

namespace Uqlib.Samples.Docs;

/// <summary>The example of docs/segmentation.md, "Per-voxel latent OOD scores".</summary>
internal static class FeatureMaps
{
    public static void Run()
    {
        // Seeded stand-ins for a U-Net stage's feature maps: 16 training maps (N, 32, 16, 16) whose locations lie near a 4-dimensional
        // subspace, and 2 test maps of 64 x 64 images, the second with a 4 x 4 patch of features off that subspace.
        var generator = manual_seed(5);
        using var scope = NewDisposeScope();
        var basis = randn(new long[] { 32, 4 }, generator: generator);
        Tensor Maps(long n) => einsum("fk,nkhw->nfhw", basis, randn(new long[] { n, 4, 16, 16 }, generator: generator))
            + (0.1 * randn(new long[] { n, 32, 16, 16 }, generator: generator));
        var trainMaps = Maps(16);
        var testMaps = Maps(2);
        testMaps[1, .., 4..8, 4..8] = 2 * randn(new long[] { 32, 4, 4 }, generator: generator);

        #region docs:segmentation-feature-map
        using var detector = FeatureMapDetector.FitKnn(trainMaps, new KnnOptions { K = 50 });     // bank ≤ 65 536 locations
        using var oodMap = detector.Score(testMaps, [64, 64]);                                    // (N, 64, 64), higher = more OOD
        using var perImage = MapAggregation.Percentile(oodMap, 95);                               // an image-level score, if wanted
        Console.WriteLine(detector);      // FeatureMapDetector(method=Knn, F=32, k=50, bank=4096, locations=4096)
        #endregion

        if (!(perImage[1].item<double>() > perImage[0].item<double>() && oodMap[1, 16..32, 16..32].mean().item<float>() > oodMap[1, 40.., 40..].mean().item<float>()))
        {
            throw new InvalidOperationException("The feature-map example no longer finds its unfamiliar patch.");
        }
    }
}
