using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Tests.TestSupport;

/// <summary>The MLP of Reference/make_whitebox.py (Linear 6→10, BatchNorm1d, ReLU, Dropout 0.5, Linear 10→4) in float64 with the script's weights and running statistics.</summary>
internal static class WhiteBoxMlp
{
    public static nn.Module<Tensor, Tensor> Create(double dropout = 0.5)
    {
        var module = nn.Sequential(
            ("fc1", nn.Linear(6, 10)),
            ("bn", nn.BatchNorm1d(10)),
            ("relu", nn.ReLU()),
            ("drop", nn.Dropout(dropout)),
            ("fc2", nn.Linear(10, 4)));
        module.to(ScalarType.Float64);
        var state = module.state_dict();
        var golden = Golden.Load("whitebox.json").GetProperty("mlp");
        using (torch.no_grad())
        {
            foreach (var entry in golden.EnumerateObject())
            {
                using var value = entry.Value[0].ValueKind == System.Text.Json.JsonValueKind.Array
                    ? Golden.MatrixTensor(entry.Value)
                    : Golden.VectorTensor(entry.Value);
                state[entry.Name].copy_(value);
            }
        }

        module.eval();
        return module;
    }

    public static Tensor Inputs() => Golden.MatrixTensor(Golden.Load("whitebox.json").GetProperty("mlpInputs"));

    public static IReadOnlyDictionary<string, Tensor> State(nn.Module module) => module.state_dict();
}
