namespace Uqlib.Samples.BiradsShape.Data;

/// <summary>The BI-RADS shape of a whole tumour, as a radiologist would label the patient.</summary>
public enum TumourShape
{
    /// <summary>A round or oval mass: a smooth ellipsoid.</summary>
    Round,

    /// <summary>An irregular mass: a lobulated or spiculated blob.</summary>
    Irregular,
}
