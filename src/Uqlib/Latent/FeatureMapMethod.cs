namespace Uqlib.Latent;

/// <summary>The latent detector a <see cref="FeatureMapDetector"/> applies at every feature-map location.</summary>
public enum FeatureMapMethod
{
    /// <summary>The class-agnostic Mahalanobis distance (<see cref="MahalanobisDetector.FitClassAgnostic"/>; Lee et al. 2018) to one Gaussian of all training locations.</summary>
    Mahalanobis,

    /// <summary>The distance to the k-th nearest normalised training location (<see cref="KnnDetector"/>; Sun et al. 2022).</summary>
    Knn,
}
