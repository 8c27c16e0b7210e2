using System;
using FluentAssertions;
using Xunit;

namespace Uqlib.Onnx.Tests;

public sealed class OnnxModelOptionsTests
{
    [Fact]
    public void Default_HasDocumentedValuesAndIsValid()
    {
        var options = OnnxModelOptions.Default;

        options.InputName.Should().BeNull();
        options.LogitsOutputName.Should().BeNull();
        options.FeaturesOutputName.Should().BeNull();
        options.MaxBatchSize.Should().BeNull();
        options.IntraOpThreads.Should().Be(0);
        options.ExecutionProvider.Should().Be(OnnxExecutionProvider.Cpu);
        options.CudaDeviceId.Should().Be(0);
        options.Invoking(o => o.Validate()).Should().NotThrow();
    }

    [Fact]
    public void Validate_OfSeveralBadOptions_ReportsEachInOneException()
    {
        var options = new OnnxModelOptions
        {
            InputName = " ",
            LogitsOutputName = "out",
            FeaturesOutputName = "out",
            MaxBatchSize = 0,
            IntraOpThreads = -1,
            ExecutionProvider = (OnnxExecutionProvider)7,
            CudaDeviceId = -2,
        };

        var act = () => options.Validate();

        act.Should().Throw<ArgumentException>()
            .WithMessage("*InputName must be null*FeaturesOutputName must differ*MaxBatchSize must be in [1, 1048576]*found 0*IntraOpThreads must be in [0, 1024]*found -1*ExecutionProvider must be*CudaDeviceId must be at least 0*found -2*")
            .And.ParamName.Should().Be("options");
    }

    [Fact]
    public void Validate_OfSizesAboveTheirBounds_Throws()
    {
        FluentActions.Invoking(() => new OnnxModelOptions { MaxBatchSize = int.MaxValue, IntraOpThreads = int.MaxValue }.Validate())
            .Should().Throw<ArgumentException>().WithMessage("*MaxBatchSize must be in [1, 1048576]*IntraOpThreads must be in [0, 1024]*");
        new OnnxModelOptions { MaxBatchSize = 1 << 20, IntraOpThreads = 1024 }.Validate();
    }
}
