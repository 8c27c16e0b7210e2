using System;
using TorchSharp;
using Uqlib;
using Uqlib.Models;
using Uqlib.Onnx;
using static TorchSharp.torch;

namespace Uqlib.Samples.Docs;

/// <summary>The examples of docs/models.md, one per model adapter.</summary>
internal static class ModelAdapters
{
    public static void Run()
    {
        using var images = torch.randn(10, 1, 8, 8, generator: torch.manual_seed(3));

        #region docs:delegate
        using var weights = torch.randn(64, 3, generator: torch.manual_seed(1));
        var linear = new DelegateModel(
            x => x.flatten(1).matmul(weights),                  // any function from a batch to logits
            OutputKind.MulticlassLogits,
            new ModelOptions { MaxBatchSize = 4 });            // at most 4 samples per call; outputs concatenated
        using (var output = linear.Forward(images))
        {
            Console.WriteLine($"delegate: logits {Shape(output.Logits)}");
        }
        #endregion

        #region docs:torch-module
        using var network = new SmallNetwork();                 // a TorchSharp module, trained elsewhere
        var wrapped = new TorchModuleModel(network, OutputKind.MulticlassLogits, featureLayer: "fc1");
        using (var output = wrapped.Forward(images))           // eval mode and no gradients during the call
        {
            Console.WriteLine($"module: logits {Shape(output.Logits)}, features of fc1 {Shape(output.Features!)}");
        }
        #endregion

        #region docs:torchscript
        using var script = TorchScriptModel.Load("classifier.pt", OutputKind.MulticlassLogits);
        using (var output = script.Forward(images))            // forward returns logits, or (logits, features)
        {
            Console.WriteLine($"TorchScript: logits {Shape(output.Logits)}, features {Shape(output.Features!)}");
        }
        #endregion

        #region docs:onnx
        using var onnx = OnnxModel.Load("classifier.onnx", OutputKind.MulticlassLogits,
            new OnnxModelOptions { IntraOpThreads = 1 });       // names found in the model's metadata
        Console.WriteLine($"ONNX: feeds '{onnx.InputName}' ({onnx.InputType}); logits from '{onnx.LogitsOutputName}', features from '{onnx.FeaturesOutputName}'");
        using (var output = onnx.Forward(images))
        {
            Console.WriteLine($"ONNX: logits {Shape(output.Logits)}, features {Shape(output.Features!)}");
        }
        #endregion

        #region docs:onnx-options
        var options = new OnnxModelOptions
        {
            InputName = "image",                                // needed when the model has several inputs
            LogitsOutputName = "logits",                        // needed when it has more than two outputs
            FeaturesOutputName = "features",                    // optional: the latent features for Mahalanobis, kNN
            MaxBatchSize = 64,                                  // dynamic batch: split larger inputs
        };
        using var configured = OnnxModel.Load("classifier.onnx", OutputKind.MulticlassLogits, options);
        #endregion
        Console.WriteLine($"ONNX configured: fixed batch {configured.FixedBatchSize?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}");
    }

    private static string Shape(Tensor tensor) => "(" + string.Join(", ", tensor.shape) + ")";

    #region docs:torch-module-class
    private sealed class SmallNetwork : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> fc1 = nn.Linear(64, 16);
        private readonly nn.Module<Tensor, Tensor> fc2 = nn.Linear(16, 3);

        public SmallNetwork()
            : base(nameof(SmallNetwork))
        {
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = torch.NewDisposeScope();
            var features = fc1.call(input.flatten(1)).relu();  // call (not forward) so the feature hook fires
            return fc2.call(features).MoveToOuterDisposeScope();
        }
    }
    #endregion
}
