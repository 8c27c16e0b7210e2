using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Models;
using Uqlib.Scores;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Models;

public sealed class DelegateModelTests
{
    [Fact]
    public void Forward_ReturnsTheFunctionsLogitsAndFeatures()
    {
        var model = new DelegateModel(x => (x.mul(2), x.sum(1, keepdim: true)), OutputKind.MulticlassLogits);
        using var inputs = torch.arange(6f).reshape(3, 2);
        using var output = model.Forward(inputs);
        Golden.ToArray(output.Logits).Should().Equal(0, 2, 4, 6, 8, 10);
        Golden.ToArray(output.Features!).Should().Equal(1, 5, 9);
        model.OutputKind.Should().Be(OutputKind.MulticlassLogits);
    }

    [Fact]
    public void Forward_WithMaxBatchSize_CallsInChunksAndConcatenates()
    {
        var calls = 0;
        var model = new DelegateModel(
            x =>
            {
                calls++;
                x.shape[0].Should().BeLessThanOrEqualTo(4);
                return x.add(1);
            },
            OutputKind.MulticlassLogits,
            new ModelOptions { MaxBatchSize = 4 });
        using var inputs = torch.arange(20f).reshape(10, 2);
        using var output = model.Forward(inputs);
        calls.Should().Be(3);
        using var expected = inputs.add(1);
        output.Logits.allclose(expected, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Forward_OfIdentity_DoesNotDisposeTheCallersInputs()
    {
        var model = new DelegateModel(x => x, OutputKind.Probabilities);
        using var inputs = torch.full(2, 2, 0.5);
        model.Forward(inputs).Dispose();
        inputs.IsInvalid.Should().BeFalse();
        inputs.sum().item<float>().Should().Be(2f);
    }

    [Fact]
    public void Forward_OfWrongRowCount_Throws()
    {
        var model = new DelegateModel(x => torch.zeros(x.shape[0] + 1, 3), OutputKind.MulticlassLogits);
        using var inputs = torch.zeros(4, 2);
        var act = () => model.Forward(inputs);
        act.Should().Throw<InvalidOperationException>().WithMessage("DelegateModel returned logits of shape (5, 3) for a batch of 4 samples*");
    }

    [Fact]
    public void Forward_OfEmptyOrScalarInput_Throws()
    {
        var model = new DelegateModel(x => x, OutputKind.MulticlassLogits);
        using var empty = torch.zeros(0, 2);
        using var scalar = torch.tensor(1f);
        ((Action)(() => model.Forward(empty))).Should().Throw<ArgumentException>().WithMessage("inputs is empty*");
        ((Action)(() => model.Forward(scalar))).Should().Throw<ArgumentException>().WithMessage("inputs must have rank 1 to 8*");
    }

    [Fact]
    public void Constructor_WithNullFunction_Throws()
    {
        var act = () => new DelegateModel((Func<Tensor, Tensor>)null!, OutputKind.MulticlassLogits);
        act.Should().Throw<ArgumentNullException>();
    }

    [LinuxFact]
    public void Forward_WithMaxBatchSizeInsideAnEstimator_HoldsOneChunksTemporariesAtATime()
    {
        // 32 chunks of 1,024 × 256 floats; the model makes four 1 MiB temporaries per chunk, 128 MiB over the whole input.
        var peak = PeakMemory.MeasureMiB(EstimateInChunks);

        peak.Should().BeLessThan(48, "one chunk's temporaries (4 MiB) and the outputs of the whole input (3 MiB) may be held, with the C heap's slack; before the fix 139 MiB");
    }

    private static void EstimateInChunks(string[] arguments)
    {
        using var weights = torch.randn(new long[] { 256, 10 }, generator: torch.manual_seed(1));
        var model = new DelegateModel(
            x => x.exp().mul(x).tanh().add(1.0).matmul(weights),
            OutputKind.MulticlassLogits,
            new ModelOptions { MaxBatchSize = 1024 });
        var estimator = new SoftmaxEstimator(model);
        using var inputs = torch.randn(new long[] { 32 * 1024, 256 }, generator: torch.manual_seed(0));
        using (var warmUp = inputs.narrow(0, 0, 2048))
        {
            estimator.Estimate(warmUp).Dispose();
        }

        PeakMemory.Start();
        estimator.Estimate(inputs).Dispose();
    }

    [Fact]
    public void Forward_OfDelegateFailingInNativeCode_ThrowsInvalidOperationExceptionNamingTheShape()
    {
        using var layer = nn.Linear(7, 3);
        var model = new DelegateModel(x => layer.call(x), OutputKind.MulticlassLogits);
        using var inputs = torch.zeros(2, 5);

        var act = () => model.Forward(inputs);

        act.Should().Throw<InvalidOperationException>().WithMessage("DelegateModel failed on inputs of shape (2, 5) and dtype Float32: *")
            .WithInnerException<System.Runtime.InteropServices.ExternalException>();
    }
}
