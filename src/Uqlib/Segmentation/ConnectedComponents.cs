using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Segmentation;

/// <summary>Connected components of a binary mask: the lesions of a predicted or true segmentation.</summary>
/// <remarks>
/// Labels equal <c>scipy.ndimage.label</c>'s: background 0, components numbered 1, 2, … in the raster (C) order of their first voxel.
/// One pass of union–find over the voxels in raster order (each voxel joined with its already-visited neighbours), then one relabelling
/// pass: O(voxels), on the CPU (a tensor on another device is copied). Pure and thread-safe.
/// </remarks>
public static class ConnectedComponents
{
    /// <summary>Labels the connected components of one mask.</summary>
    /// <param name="mask">A 2-D <c>(H, W)</c> or 3-D <c>(D, H, W)</c> mask: bool, or values 0 and 1. It is not disposed.</param>
    /// <param name="connectivity">Which neighbours connect: <see cref="Connectivity.Four"/> or <see cref="Connectivity.Eight"/> in 2-D; <see cref="Connectivity.Six"/>, <see cref="Connectivity.Eighteen"/> or <see cref="Connectivity.TwentySix"/> in 3-D.</param>
    /// <returns>The labels, int32 of the mask's shape on the CPU (0 background, 1 to <c>Count</c> the components), and the number of components; the caller disposes the tensor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="mask"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="mask"/> is not 2-D or 3-D, is empty, holds a value other than 0 and 1, or <paramref name="connectivity"/> does not fit its rank.</exception>
    public static (Tensor Labels, int Count) Label(Tensor mask, Connectivity connectivity)
    {
        ArgumentNullException.ThrowIfNull(mask);
        Preconditions.Tensor(mask, nameof(mask), 2, 3);
        Preconditions.NotEmpty(mask, nameof(mask));
        Preconditions.BinaryMask(mask, nameof(mask));
        CheckConnectivity(connectivity, (int)mask.dim(), nameof(connectivity));
        if (mask.numel() > int.MaxValue)
        {
            throw new ArgumentException($"mask has {mask.numel()} elements; at most {int.MaxValue} can be labelled.", nameof(mask));
        }

        using var scope = torch.NewDisposeScope();
        var bytes = mask.to(ScalarType.Byte).cpu().contiguous();
        var labels = torch.zeros(mask.shape, ScalarType.Int32);
        int count = LabelCore(bytes.bytes, MemoryMarshal.Cast<byte, int>(labels.bytes), Dimensions(mask), connectivity);
        return (labels.MoveToOuterDisposeScope(), count);
    }

    internal static void CheckConnectivity(Connectivity connectivity, int rank, string name)
    {
        bool fits = rank == 2
            ? connectivity is Connectivity.Four or Connectivity.Eight
            : connectivity is Connectivity.Six or Connectivity.Eighteen or Connectivity.TwentySix;
        if (!fits)
        {
            throw new ArgumentException(
                $"{name} must be {(rank == 2 ? "Four or Eight for 2-D masks" : "Six, Eighteen or TwentySix for 3-D masks")}; found {connectivity}.", name);
        }
    }

    /// <summary>Labels a C-order mask of dimensions (D, H, W) (D = 1 in 2-D) into <paramref name="labels"/>; returns the component count.</summary>
    internal static int LabelCore(ReadOnlySpan<byte> mask, Span<int> labels, (int D, int H, int W) size, Connectivity connectivity)
    {
        var offsets = Neighbours(connectivity);
        var parent = new List<int> { 0 };
        int plane = size.H * size.W;
        int index = 0;
        for (int z = 0; z < size.D; z++)
        {
            for (int y = 0; y < size.H; y++)
            {
                for (int x = 0; x < size.W; x++, index++)
                {
                    if (mask[index] == 0)
                    {
                        continue;
                    }

                    int label = 0;
                    foreach (var (dz, dy, dx) in offsets)
                    {
                        int nz = z + dz, ny = y + dy, nx = x + dx;
                        if (nz < 0 || ny < 0 || nx < 0 || nx >= size.W || ny >= size.H)
                        {
                            continue;
                        }

                        int neighbour = labels[(nz * plane) + (ny * size.W) + nx];
                        if (neighbour == 0)
                        {
                            continue;
                        }

                        label = label == 0 ? Find(parent, neighbour) : Union(parent, label, neighbour);
                    }

                    if (label == 0)
                    {
                        label = parent.Count;
                        parent.Add(label);
                    }

                    labels[index] = label;
                }
            }
        }

        // Provisional labels are created in raster order and unions keep the smaller root, so numbering the roots in order of
        // their label gives the raster order of each component's first voxel.
        var final = new int[parent.Count];
        int count = 0;
        for (int i = 1; i < parent.Count; i++)
        {
            int root = Find(parent, i);
            final[i] = root == i ? ++count : final[root];
        }

        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = final[labels[i]];
        }

        return count;
    }

    internal static (int D, int H, int W) Dimensions(Tensor mask) => mask.dim() == 2
        ? (1, (int)mask.shape[0], (int)mask.shape[1])
        : ((int)mask.shape[0], (int)mask.shape[1], (int)mask.shape[2]);

    /// <summary>The already-visited neighbours (earlier in raster order) for a connectivity.</summary>
    private static (int Dz, int Dy, int Dx)[] Neighbours(Connectivity connectivity)
    {
        int rank = connectivity is Connectivity.Four or Connectivity.Eight ? 2 : 3;
        int maxNonZero = connectivity switch
        {
            Connectivity.Four or Connectivity.Six => 1,
            Connectivity.Eight or Connectivity.Eighteen => 2,
            _ => 3,
        };
        var result = new List<(int, int, int)>();
        for (int dz = rank == 3 ? -1 : 0; dz <= 0; dz++)
        {
            for (int dy = -1; dy <= 1; dy++)
            {
                for (int dx = -1; dx <= 1; dx++)
                {
                    bool earlier = dz < 0 || (dz == 0 && (dy < 0 || (dy == 0 && dx < 0)));
                    int nonZero = (dz != 0 ? 1 : 0) + (dy != 0 ? 1 : 0) + (dx != 0 ? 1 : 0);
                    if (earlier && nonZero <= maxNonZero)
                    {
                        result.Add((dz, dy, dx));
                    }
                }
            }
        }

        return result.ToArray();
    }

    private static int Find(List<int> parent, int i)
    {
        while (parent[i] != i)
        {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }

        return i;
    }

    private static int Union(List<int> parent, int a, int b)
    {
        int ra = Find(parent, a), rb = Find(parent, b);
        if (ra == rb)
        {
            return ra;
        }

        int low = Math.Min(ra, rb);
        parent[Math.Max(ra, rb)] = low;
        return low;
    }
}
