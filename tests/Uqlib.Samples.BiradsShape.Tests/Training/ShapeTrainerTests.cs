using System;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Samples.BiradsShape.Tests.TestSupport;
using Uqlib.Samples.BiradsShape.Training;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Tests.Training;

public sealed class ShapeTrainerTests
{
    [Fact]
    public void Train_SeparableShapes_LearnsThemAndReportsEachEpoch()
    {
        var (images, labels) = ToyShapes.Make(96, seed: 1);
        using (images)
        using (labels)
        {
            var reports = new System.Collections.Generic.List<TrainingProgress>();
            using var network = ShapeTrainer.Train(images, labels, new TrainingOptions { Epochs = 12, BatchSize = 32, Seed = 4 }, new InlineProgress<TrainingProgress>(reports.Add));
            network.training.Should().BeFalse();
            reports.Select(r => r.Epoch).Should().Equal(Enumerable.Range(1, 12));
            reports[^1].MeanLoss.Should().BeLessThan(reports[0].MeanLoss);
            var (test, testLabels) = ToyShapes.Make(64, seed: 2);
            using (test)
            using (testLabels)
            using (no_grad())
            {
                using var predicted = network.call(test).argmax(1);
                using var correct = predicted.eq(testLabels).to(ScalarType.Float64).mean();
                correct.ToDouble().Should().BeGreaterThan(0.9);
            }
        }
    }

    [Fact]
    public void Train_SameSeed_IdenticalWeights()
    {
        var (images, labels) = ToyShapes.Make(32, seed: 3);
        using (images)
        using (labels)
        {
            var options = new TrainingOptions { Epochs = 2, BatchSize = 16, Augment = true, Seed = 8 };
            using var a = ShapeTrainer.Train(images, labels, options);
            using var b = ShapeTrainer.Train(images, labels, options);
            using var c = ShapeTrainer.Train(images, labels, options with { Seed = 9 });
            var pa = a.parameters().ToArray();
            var pb = b.parameters().ToArray();
            var pc = c.parameters().ToArray();
            pa.Zip(pb).Should().OnlyContain(p => p.First.allclose(p.Second, 0, 0, false));
            pa.Zip(pc).Should().Contain(p => !p.First.allclose(p.Second, 0, 0, false));
        }
    }

    [Fact]
    public void Train_BadInputs_Throw()
    {
        using var images = zeros(4, 1, 24, 24);
        using var labels = zeros(4, dtype: ScalarType.Int64);
        using var shortLabels = zeros(3, dtype: ScalarType.Int64);
        using var floatLabels = zeros(4);
        using var flat = zeros(4, 24, 24);
        var options = new TrainingOptions { Epochs = 1 };
        FluentActions.Invoking(() => ShapeTrainer.Train(images, shortLabels, options)).Should().Throw<ArgumentException>().WithParameterName("labels");
        FluentActions.Invoking(() => ShapeTrainer.Train(images, floatLabels, options)).Should().Throw<ArgumentException>().WithParameterName("labels");
        FluentActions.Invoking(() => ShapeTrainer.Train(flat, labels, options)).Should().Throw<ArgumentException>().WithParameterName("images");
        FluentActions.Invoking(() => ShapeTrainer.Train(images, labels, options with { Epochs = 0, LearningRate = double.NaN }))
            .Should().Throw<ArgumentException>().WithMessage("*Epochs*LearningRate*");
        FluentActions.Invoking(() => ShapeTrainer.Train(images, labels, options, cancellationToken: new System.Threading.CancellationToken(true)))
            .Should().Throw<OperationCanceledException>();
    }
}
