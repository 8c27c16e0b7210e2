using System;
using System.Collections.Generic;
using System.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Onnx.Tests.TestSupport;

/// <summary>The registry the convention tests draw on: a factory for every public disposable type of the package, and sample arguments.</summary>
internal static class PublicInstances
{
    /// <summary>Gets a factory for each public disposable type of the package.</summary>
    public static IReadOnlyDictionary<Type, Func<object>> Disposables { get; } = new Dictionary<Type, Func<object>>
    {
        [typeof(OnnxModel)] = () => OnnxModel.Load(Golden.PathOf("tiny_cnn.onnx"), OutputKind.MulticlassLogits),
    };

    /// <summary>A sample of one of the package's types for a parameter, or <see langword="null"/> to let the checks choose by type.</summary>
    public static object? Sample(Type type, string name)
    {
        if (type == typeof(Tensor) && name == "inputs")
        {
            return torch.rand(new long[] { 2, 1, 8, 8 }, generator: torch.manual_seed(1));
        }

        if (type == typeof(byte[]))
        {
            return File.ReadAllBytes(Golden.PathOf("tiny_cnn.onnx"));
        }

        return Disposables.TryGetValue(type, out var factory) ? factory() : null;
    }
}
