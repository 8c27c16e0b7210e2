namespace Uqlib.Onnx;

/// <summary>Where ONNX Runtime runs the model.</summary>
public enum OnnxExecutionProvider
{
    /// <summary>The CPU, which every ONNX Runtime package provides.</summary>
    Cpu,

    /// <summary>An NVIDIA GPU through CUDA; needs an ONNX Runtime native package built with CUDA (e.g. <c>Microsoft.ML.OnnxRuntime.Gpu</c>) in the application.</summary>
    Cuda,
}
