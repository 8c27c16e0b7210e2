using System;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Models;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Models;

public sealed class TorchModuleModelTests
{
    private sealed class TwoLayer : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> fc1;
        private readonly nn.Module<Tensor, Tensor> dropout;
        private readonly nn.Module<Tensor, Tensor> fc2;

        public TwoLayer()
            : base(nameof(TwoLayer))
        {
            fc1 = nn.Linear(4, 6);
            dropout = nn.Dropout(0.5);
            fc2 = nn.Linear(6, 3);

            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = torch.NewDisposeScope();
            var hidden = fc1.call(input).relu();
            return fc2.call(dropout.call(hidden)).MoveToOuterDisposeScope();
        }
    }

    [Fact]
    public void Forward_WithFeatureLayer_ReturnsThatLayersOutput()
    {
        using var module = new TwoLayer();
        var model = new TorchModuleModel(module, OutputKind.MulticlassLogits, featureLayer: "fc1");
        using var inputs = torch.randn(5, 4, generator: torch.manual_seed(2));
        using var output = model.Forward(inputs);

        var fc1 = (nn.Module<Tensor, Tensor>)module.named_modules().First(m => m.name == "fc1").module;
        using var expected = fc1.call(inputs);
        output.Features!.allclose(expected).Should().BeTrue();
        output.Logits.shape.Should().Equal(5, 3);
    }

    [Fact]
    public void Forward_RunsInEvalModeWithoutGradient_AndRestoresTrainingMode()
    {
        using var module = new TwoLayer();
        module.train();
        var model = new TorchModuleModel(module, OutputKind.MulticlassLogits);
        using var inputs = torch.randn(64, 4, generator: torch.manual_seed(4));
        using var first = model.Forward(inputs);
        using var second = model.Forward(inputs);

        first.Logits.allclose(second.Logits, rtol: 0, atol: 0).Should().BeTrue("dropout must be off during Forward");
        first.Logits.requires_grad.Should().BeFalse();
        module.training.Should().BeTrue();
    }

    [Fact]
    public void Forward_WithMaxBatchSize_GivesIdenticalResults()
    {
        using var module = new TwoLayer();
        var whole = new TorchModuleModel(module, OutputKind.MulticlassLogits, "fc1");
        var chunked = new TorchModuleModel(module, OutputKind.MulticlassLogits, "fc1", new ModelOptions { MaxBatchSize = 3 });
        using var inputs = torch.randn(10, 4, generator: torch.manual_seed(8));
        using var a = whole.Forward(inputs);
        using var b = chunked.Forward(inputs);
        a.Logits.allclose(b.Logits, rtol: 0, atol: 1e-6).Should().BeTrue();
        a.Features!.allclose(b.Features!, rtol: 0, atol: 1e-6).Should().BeTrue();
    }

    [Fact]
    public void Forward_LeavesNoHookBehind()
    {
        using var module = new TwoLayer();
        var model = new TorchModuleModel(module, OutputKind.MulticlassLogits, "fc1");
        using var inputs = torch.randn(2, 4);
        model.Forward(inputs).Dispose();
        var before = LiveTensors.Count;
        module.call(inputs).Dispose();
        LiveTensors.Count.Should().Be(before, "no hook may capture features outside Forward");
    }

    [Fact]
    public void Constructor_WithUnknownLayer_ListsTheLayers()
    {
        using var module = new TwoLayer();
        var act = () => new TorchModuleModel(module, OutputKind.MulticlassLogits, "fc3");
        act.Should().Throw<ArgumentException>().WithParameterName("featureLayer")
            .WithMessage("featureLayer 'fc3' is not a submodule; the submodules are: *fc1*fc2*");
    }

    [Fact]
    public void Constructor_WithBadOptions_Throws()
    {
        using var module = new TwoLayer();
        var act = () => new TorchModuleModel(module, OutputKind.MulticlassLogits, options: new ModelOptions { MaxBatchSize = 0 });
        act.Should().Throw<ArgumentException>().WithMessage("MaxBatchSize must be in [1, 1048576]*");
    }

    [Fact]
    public void Forward_OfWrongInputShape_ThrowsInvalidOperationExceptionNamingTheShapeWithoutTheNativeStack()
    {
        using var module = new TwoLayer();
        var model = new TorchModuleModel(module, OutputKind.MulticlassLogits);
        using var inputs = torch.zeros(2, 5);

        var act = () => model.Forward(inputs);

        var thrown = act.Should().Throw<InvalidOperationException>()
            .WithMessage("TorchModuleModel failed on inputs of shape (2, 5) and dtype Float32: *").Which;
        thrown.Message.Should().NotContain("\n", "the c10 stack stays in the inner exception");
        thrown.InnerException.Should().BeOfType<System.Runtime.InteropServices.ExternalException>();
    }
}
