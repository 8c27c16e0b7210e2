using FluentAssertions;
using TorchSharp;
using Uqlib.Samples.BiradsShape.Data;
using Uqlib.Samples.BiradsShape.Labelling;
using Uqlib.Samples.BiradsShape.Tests.TestSupport;
using Uqlib.Samples.BiradsShape.Training;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Tests;

/// <summary>Every step of the pipeline leaves only the tensors it returns alive.</summary>
public sealed class PipelineMemoryTests
{
    [Fact]
    public void DataLabellingAndAugmentation_LeakNothing()
    {
        var before = LiveTensors.Count;
        using (var volumes = TumourGenerator.Generate(2, 24, ScannerProfile.External, seed: 1))
        using (var slices = SliceSampler.Sample(volumes, 2, 2, seed: 2))
        using (var subset = slices.Select(new[] { 0, 1 }))
        using (var dice = EllipseDice.Compute(slices.Masks))
        using (var generator = new Generator(3))
        using (var augmented = TrainingAugmentation.Apply(slices.Images, generator))
        {
            LiveTensors.Count.Should().Be(before + 8, "the volumes, two slice sets (images and masks each), the Dice and the augmented batch");
        }

        LiveTensors.Count.Should().Be(before);
    }

    [Fact]
    public void TrainAndForward_LeakNothing()
    {
        var (images, labels) = ToyShapes.Make(8, seed: 1);
        using (images)
        using (labels)
        {
            var before = LiveTensors.Count;
            using (var models = CrossValidation.Train(images, new[] { 0, 1, 0, 1, 0, 1, 0, 1 }, new[] { 0, 0, 0, 0, 1, 1, 1, 1 }, 2, new TrainingOptions { Epochs = 1, BatchSize = 4 }, CPU))
            {
                using (models.Models[0].Forward(images))
                {
                }

                var withModels = LiveTensors.Count;
                using (models.Models[1].Forward(images))
                {
                }

                LiveTensors.Count.Should().Be(withModels);
            }

            LiveTensors.Count.Should().Be(before, "disposing the fold models frees their weights and nothing else is left");
        }
    }
}
