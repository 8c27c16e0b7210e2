namespace Uqlib.Imaging;

/// <summary>The colour maps heat maps are drawn with; low values take the first colour, high values the last.</summary>
/// <remarks>Viridis and Inferno are matplotlib's perceptually uniform maps (van der Walt and Smith, 2015), sampled at 65 anchors and interpolated linearly.</remarks>
public enum ColorMap
{
    /// <summary>Dark blue through green to yellow; readable by people with colour-vision deficiency and in grayscale print.</summary>
    Viridis = 0,

    /// <summary>Black through red and orange to pale yellow.</summary>
    Inferno = 1,

    /// <summary>Black to white.</summary>
    Gray = 2,
}
