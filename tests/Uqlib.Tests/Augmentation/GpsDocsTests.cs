using System;
using System.IO;
using FluentAssertions;
using TorchSharp;
using Uqlib.Augmentation;
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
        var path = Path.Combine(directory, "gps-policy.json");
        result.Save(path);
        var again = GreedyPolicySearchResult.Load(path);  // identical candidates, temperature and curve

        result.SelectedCandidates.Should().NotContain(2);
        result.SelectedCandidates.Should().Contain(0).And.Contain(1);
        again.Steps.Should().Equal(result.Steps);
    }
}
