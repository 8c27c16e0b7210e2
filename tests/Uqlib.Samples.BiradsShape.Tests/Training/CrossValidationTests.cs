using System;
using System.Linq;
using FluentAssertions;
using Uqlib.Samples.BiradsShape.Tests.TestSupport;
using Uqlib.Samples.BiradsShape.Training;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Tests.Training;

public sealed class CrossValidationTests
{
    [Fact]
    public void Train_ThreeFolds_ModelsExposeLogitsAndPenultimateFeatures()
    {
        var (images, labels) = ToyShapes.Make(30, seed: 1);
        using (images)
        using (labels)
        {
            var classes = labels.data<long>().ToArray().Select(l => (int)l).ToArray();
            var folds = Enumerable.Range(0, 30).Select(i => i % 3).ToArray();
            var reports = new System.Collections.Generic.List<int>();
            using var models = CrossValidation.Train(
                images, classes, folds, 3, new TrainingOptions { Epochs = 1, BatchSize = 8 }, CPU, new InlineProgress<(int Fold, TrainingProgress Epoch)>(p => reports.Add(p.Fold)));
            models.Count.Should().Be(3);
            reports.Should().Equal(0, 1, 2);
            models.SliceFolds.Should().Equal(folds);
            using var output = models.Models[1].Forward(images);
            output.Logits.shape.Should().Equal(30, 2);
            output.Features!.shape.Should().Equal(30, 32);
            models.Models[1].OutputKind.Should().Be(OutputKind.MulticlassLogits);
        }
    }

    [Fact]
    public void Train_BadFolds_Throw()
    {
        using var images = zeros(4, 1, 24, 24);
        var labels = new[] { 0, 1, 0, 1 };
        var options = new TrainingOptions { Epochs = 1 };
        FluentActions.Invoking(() => CrossValidation.Train(images, labels, new[] { 0, 1, 2, 0 }, 2, options, CPU))
            .Should().Throw<ArgumentException>().WithParameterName("sliceFolds").WithMessage("*found 2 at index 2*");
        FluentActions.Invoking(() => CrossValidation.Train(images, labels, new[] { 0, 0, 0, 0 }, 2, options, CPU))
            .Should().Throw<ArgumentException>().WithParameterName("sliceFolds").WithMessage("*Fold 0 holds 4 of 4*");
        FluentActions.Invoking(() => CrossValidation.Train(images, labels, new[] { 0, 1, 0 }, 2, options, CPU))
            .Should().Throw<ArgumentException>().WithParameterName("labels");
        FluentActions.Invoking(() => CrossValidation.Train(images, labels, new[] { 0, 1, 0, 1 }, 1, options, CPU))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("folds");
    }
}
