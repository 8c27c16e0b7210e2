using System.Text.Json;
using TorchSharp;
using Uqlib.Tests.TestSupport;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

/// <summary>The fixture written by Reference/make_whitebox.py (PyTorch 1.13, NumPy): features, the final layer and golden scores.</summary>
internal static class WhiteBoxGolden
{
    public static readonly JsonElement Reference = Golden.Load("whitebox.json");

    public static Tensor Train() => Golden.MatrixTensor(Reference.GetProperty("train"));

    public static Tensor Queries() => Golden.MatrixTensor(Reference.GetProperty("queries"));

    public static Tensor Weight() => Golden.MatrixTensor(Reference.GetProperty("weight"));

    public static Tensor Bias() => Golden.VectorTensor(Reference.GetProperty("bias"));

    public static double[] Expected(string name) => Golden.Vector(Reference.GetProperty(name));

    /// <summary>Whether two score vectors agree to a relative tolerance.</summary>
    public static bool Close(double[] actual, double[] expected, double tolerance)
    {
        if (actual.Length != expected.Length)
        {
            return false;
        }

        for (var i = 0; i < actual.Length; i++)
        {
            if (!LatentCases.CloseRelative(actual[i], expected[i], tolerance))
            {
                return false;
            }
        }

        return true;
    }
}
