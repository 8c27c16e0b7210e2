using System;
using System.IO;
using FluentAssertions;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Ensembles;
using Uqlib.Models;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Augmentation;

/// <summary>Runs the example of docs/gps.md, line for line.</summary>
public sealed class GpsDocsTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("uqlib-gps-docs-").FullName;

    public void Dispose()
    {
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void Example_FromTheDocs_Runs()
    {
        using var scope = torch.NewDisposeScope();

        // cache: (candidates, samples, classes) log-probabilities of each augmentation on the validation set; labels: (samples).
        var generator = torch.manual_seed(0);
        var labels = torch.randint(0, 3, new long[] { 500 }, generator: generator);
        var signal = torch.nn.functional.one_hot(labels, 3).to(ScalarType.Float64).mul(2.0);
        var cache = torch.stack(new[]
        {
            signal.add(torch.randn(500, 3, generator: generator, dtype: ScalarType.Float64)).log_softmax(1),  // identity
            signal.add(torch.randn(500, 3, generator: generator, dtype: ScalarType.Float64)).log_softmax(1),  // a harmless augmentation
            signal.roll(1, 1).add(torch.randn(500, 3, generator: generator, dtype: ScalarType.Float64)).log_softmax(1),  // changes the label
        });

        var options = new GreedyPolicySearchOptions { Steps = 5, HeldOutCheck = true, Seed = 1 };
        var result = GreedyPolicySearch.Search(cache, labels, options, new Progress<GreedyPolicySearchStep>(Console.WriteLine));

        Console.WriteLine(string.Join(", ", result.SelectedCandidates));  // e.g. 0, 1, 0, 1, 0: candidate 2 is never chosen
        Console.WriteLine(result.Temperature);
        var path = Path.Combine(directory, "gps-policy.uqlib");
        result.Save(path);
        var again = GreedyPolicySearchResult.Load(path);  // identical candidates, temperature and curve

        result.SelectedCandidates.Should().NotContain(2);
        result.SelectedCandidates.Should().Contain(0).And.Contain(1);
        again.Steps.Should().Equal(result.Steps);
    }

    [Fact]
    public void Fit_FromTheDocs_Runs()
    {
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator(3);
        var weights = torch.randn(new long[] { 3, 144 }, generator: generator).div(4);
        IModel model = new DelegateModel(x => x.flatten(1).matmul(weights.t()), OutputKind.MulticlassLogits);
        var images = torch.rand(new long[] { 300, 1, 12, 12 }, generator: generator);
        var drawn = torch.multinomial(model.Forward(images).Logits.softmax(1), 1, generator: generator).squeeze(1);
        var validation = new[] { new Batch(images.narrow(0, 0, 150), drawn.narrow(0, 0, 150)), new Batch(images.narrow(0, 150, 150), drawn.narrow(0, 150, 150)) };
        var testImages = torch.rand(new long[] { 4, 1, 12, 12 }, generator: generator);

        // model: any IModel (TorchModuleModel, TorchScriptModel, DelegateModel); validation: batches with labels; 3 classes.
        var pool = CandidatePool.Medical(count: 30, operationsPerSubPolicy: 2, seed: 0);
        var policy = GreedyPolicySearch.Fit(model, validation, pool, new GreedyPolicySearchOptions { Steps = 5 },
            cacheProgress: new Progress<EstimationProgress>(p => Console.WriteLine($"{p.Samples} samples cached")));

        Console.WriteLine(string.Join(" | ", policy.SubPolicies!));  // the selected sub-policies, with repeats
        var path = Path.Combine(directory, "tta-policy.uqlib");
        policy.Save(path);
        var loaded = TtaPolicy.Load(path);  // same operations, magnitudes, seeds and temperature

        var estimator = new TestTimeAugmentationEstimator(model, loaded, EnsembleScore.MutualInformation, loaded.CreateCalibrator(classes: 3));
        using var estimate = estimator.Estimate(testImages);

        loaded.Count.Should().Be(5);
        loaded.Temperature.Should().Be(policy.Temperature);
        estimate.Probabilities.shape.Should().Equal(4, 3);
    }

    [Fact]
    public void DiskCache_FromTheDocs_Runs()
    {
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator(3);
        var weights = torch.randn(new long[] { 3, 144 }, generator: generator).div(4);
        IModel model = new DelegateModel(x => x.flatten(1).matmul(weights.t()), OutputKind.MulticlassLogits);
        var images = torch.rand(new long[] { 300, 1, 12, 12 }, generator: generator);
        var drawn = torch.multinomial(model.Forward(images).Logits.softmax(1), 1, generator: generator).squeeze(1);
        var validation = new[] { new Batch(images.narrow(0, 0, 150), drawn.narrow(0, 0, 150)), new Batch(images.narrow(0, 150, 150), drawn.narrow(0, 150, 150)) };
        var pool = CandidatePool.Medical(count: 30, operationsPerSubPolicy: 2, seed: 0);
        var cacheDirectory = directory;
        string? file;
        TtaPolicy policy;

        // model, validation and pool as above; cacheDirectory: an existing directory on a disk with room for twice K × N × C × 2 bytes.
        var cacheOptions = new CandidateCacheOptions { Precision = ScalarType.Float16, DiskDirectory = cacheDirectory };
        using (var cache = CandidateCache.Build(model, validation, pool, cacheOptions))
        {
            Console.WriteLine($"{cache.Candidates} × {cache.Rows} × {cache.Classes} in {cache.FilePath}");
            var result = GreedyPolicySearch.Search(cache.LogProbabilities, cache.Labels, new GreedyPolicySearchOptions { Steps = 5 });
            policy = TtaPolicy.FromSearch(result, pool);
            file = cache.FilePath;
            File.Exists(file).Should().BeTrue();
        }  // the file is deleted here

        // or in one call:
        var fitted = GreedyPolicySearch.Fit(model, validation, pool, new GreedyPolicySearchOptions { Steps = 5 }, cacheOptions);

        File.Exists(file).Should().BeFalse();
        Directory.GetFiles(directory).Should().BeEmpty();
        var inMemory = GreedyPolicySearch.Fit(model, validation, pool, new GreedyPolicySearchOptions { Steps = 5 },
            new CandidateCacheOptions { Precision = ScalarType.Float16 });
        fitted.Temperature.Should().Be(inMemory.Temperature);
        policy.Temperature.Should().Be(inMemory.Temperature);
        string.Join(" | ", fitted.SubPolicies!).Should().Be(string.Join(" | ", inMemory.SubPolicies!));
    }
}
