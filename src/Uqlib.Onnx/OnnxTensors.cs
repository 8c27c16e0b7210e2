using System;
using System.Globalization;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Onnx;

/// <summary>Moves tensors between TorchSharp and ONNX Runtime with one bulk copy at most, and describes ONNX nodes for error messages.</summary>
internal static class OnnxTensors
{
    /// <summary>The TorchSharp dtype holding the same values as an ONNX element type, or <see langword="null"/> where there is none.</summary>
    public static ScalarType? ToTorch(TensorElementType type) => type switch
    {
        TensorElementType.Float => ScalarType.Float32,
        TensorElementType.Float16 => ScalarType.Float16,
        TensorElementType.BFloat16 => ScalarType.BFloat16,
        TensorElementType.Double => ScalarType.Float64,
        TensorElementType.UInt8 => ScalarType.Byte,
        TensorElementType.Int8 => ScalarType.Int8,
        TensorElementType.Int16 => ScalarType.Int16,
        TensorElementType.Int32 => ScalarType.Int32,
        TensorElementType.Int64 => ScalarType.Int64,
        TensorElementType.Bool => ScalarType.Bool,
        _ => null,
    };

    /// <summary>Wraps a contiguous CPU tensor's memory as an ONNX Runtime value without copying; the tensor must outlive the value.</summary>
    public static unsafe OrtValue Wrap(Tensor contiguousCpu, TensorElementType type)
    {
        var bytes = contiguousCpu.bytes;
        fixed (byte* data = bytes)
        {
            // libtorch memory is native and never moves: the pointer stays valid while the tensor lives.
            return OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, type, contiguousCpu.shape, (IntPtr)data, bytes.Length);
        }
    }

    /// <summary>Copies an ONNX Runtime tensor into a new CPU tensor of the same shape and type, in one bulk copy.</summary>
    public static Tensor ToTensor(OrtValue value, string name, string model)
    {
        var info = value.GetTensorTypeAndShape();
        var dtype = ToTorch(info.ElementDataType)
            ?? throw new InvalidOperationException($"The ONNX model {model} returned output '{name}' of element type {info.ElementDataType}, which has no TorchSharp counterpart.");
        var result = torch.empty(info.Shape, dtype: dtype);
        if (info.ElementCount > 0)
        {
            value.GetTensorMutableRawData().CopyTo(result.bytes);
        }

        return result;
    }

    /// <summary>Describes a node as <c>name: Float [batch, 1, 8, 8]</c>.</summary>
    public static string Describe(string name, NodeMetadata node)
    {
        if (!node.IsTensor)
        {
            return $"{name}: {node.OnnxValueType}";
        }

        var dims = node.Dimensions.Select((d, i) => d >= 0
            ? d.ToString(CultureInfo.InvariantCulture)
            : string.IsNullOrEmpty(node.SymbolicDimensions[i]) ? "?" : node.SymbolicDimensions[i]);
        return $"{name}: {node.ElementDataType} [{string.Join(", ", dims)}]";
    }

    /// <summary>Describes a tensor's shape as <c>(2, 1, 8, 8)</c>.</summary>
    public static string ShapeText(Tensor value)
    {
        return "(" + string.Join(", ", value.shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")";
    }
}
