using System.Linq;
using System.Text.Json;
using TorchSharp;
using Uqlib.Tests.TestSupport;
using static TorchSharp.torch;

namespace Uqlib.Tests.Calibration;

/// <summary>The golden data sets of Reference/calibration.json (make_calibration.py): three multiclass cases and one binary case.</summary>
internal static class CalibrationFixtures
{
    public static readonly JsonElement Reference = Golden.Load("calibration.json");

    /// <summary>Calibrated outputs in the fixture are stored for every Stride-th row.</summary>
    public static readonly int Stride = Reference.GetProperty("stride").GetInt32();

    public static JsonElement Case(int index)
    {
        return index < 3 ? Reference.GetProperty("cases")[index] : Reference.GetProperty("binary");
    }

    public static int[] LabelArray(JsonElement golden)
    {
        return golden.GetProperty("labels").EnumerateArray().Select(e => e.GetInt32()).ToArray();
    }

    public static Tensor Labels(JsonElement golden)
    {
        return torch.tensor(LabelArray(golden).Select(v => (long)v).ToArray());
    }

    /// <summary>The probabilities of a case: softmax of the logits, or (1 − σ(z), σ(z)) for the binary case.</summary>
    public static Tensor Probabilities(JsonElement golden)
    {
        if (golden.GetProperty("logits")[0].ValueKind == JsonValueKind.Array)
        {
            using var logits = Golden.MatrixTensor(golden.GetProperty("logits"));
            return logits.softmax(1);
        }

        using var z = Golden.VectorTensor(golden.GetProperty("logits"));
        return ProbabilityConversion.ToProbabilities(z, OutputKind.BinaryLogit);
    }

    public static Tensor Logits(JsonElement golden)
    {
        return golden.GetProperty("logits")[0].ValueKind == JsonValueKind.Array
            ? Golden.MatrixTensor(golden.GetProperty("logits"))
            : Golden.VectorTensor(golden.GetProperty("logits"));
    }
}
