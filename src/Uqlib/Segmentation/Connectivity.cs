namespace Uqlib.Segmentation;

/// <summary>Which neighbours of a pixel or voxel belong to its connected component; the value is the number of neighbours.</summary>
/// <remarks>SciPy's <c>generate_binary_structure(rank, c)</c>: 4 and 6 are c = 1 (faces), 8 and 18 are c = 2 (and edges), 26 is c = 3 (and corners).</remarks>
public enum Connectivity
{
    /// <summary>2-D: the four pixels sharing an edge.</summary>
    Four = 4,

    /// <summary>2-D: the eight pixels sharing an edge or a corner.</summary>
    Eight = 8,

    /// <summary>3-D: the six voxels sharing a face.</summary>
    Six = 6,

    /// <summary>3-D: the eighteen voxels sharing a face or an edge.</summary>
    Eighteen = 18,

    /// <summary>3-D: the twenty-six voxels sharing a face, an edge or a corner.</summary>
    TwentySix = 26,
}
