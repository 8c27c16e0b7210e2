namespace Uqlib.Onnx;

/// <summary>Where ONNX Runtime runs the model.</summary>
public enum OnnxExecutionProvider
{
    /// <summary>The CPU, which every ONNX Runtime package provides.</summary>
    Cpu,

    /// <summary>
    /// An NVIDIA GPU through CUDA. The application opts in by referencing <c>Microsoft.ML.OnnxRuntime.Gpu.Linux</c> of the same version as
    /// <c>Microsoft.ML.OnnxRuntime</c> and excluding the CPU package's native library (<c>ExcludeAssets="native"</c> on a direct reference to
    /// <c>Microsoft.ML.OnnxRuntime</c>); the machine needs CUDA 12, cuDNN 9 and a GPU. Without them loading a model with this provider throws
    /// <see cref="System.NotSupportedException"/> saying what is missing.
    /// </summary>
    Cuda,
}
