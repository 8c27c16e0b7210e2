using System;
using System.IO;
using FluentAssertions;
using Uqlib.Augmentation;
using Uqlib.Tests.TestSupport;
using Xunit;

namespace Uqlib.Tests.Augmentation;

public sealed class GreedyPolicySearchResultTests : IDisposable
{
    private static readonly Lazy<GreedyPolicySearchResult> Searched = new(() =>
    {
        var (cache, labels) = SyntheticCache.Create();
        using (cache)
        using (labels)
        {
            return GreedyPolicySearch.Search(cache, labels, new GreedyPolicySearchOptions { Steps = 6, HeldOutCheck = true, Seed = 1 });
        }
    });

    private readonly string directory = Directory.CreateTempSubdirectory("uqlib-gps-").FullName;

    public void Dispose()
    {
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void SaveLoad_RoundTrip_GivesAnIdenticalResult()
    {
        var result = Searched.Value;
        var path = Path.Combine(directory, "policy.json");
        result.Save(path);
        var loaded = GreedyPolicySearchResult.Load(path);

        loaded.SelectedCandidates.Should().Equal(result.SelectedCandidates);
        loaded.Steps.Should().Equal(result.Steps, "every number is written in round-trip form");
        loaded.Temperature.Should().Be(result.Temperature);
        loaded.CandidateCount.Should().Be(result.CandidateCount);
        loaded.Criterion.Should().Be(result.Criterion);
        loaded.SearchSamples.Should().Be(result.SearchSamples);
        loaded.StoppedEarly.Should().Be(result.StoppedEarly);
        loaded.ToString().Should().Be(result.ToString());
    }

    [Fact]
    public void GetMultiplicities_CountsEachSelection()
    {
        var result = Searched.Value;
        var counts = result.GetMultiplicities();
        counts.Should().HaveCount(30);
        counts.Should().HaveElementAt(result.SelectedCandidates[0], counts[result.SelectedCandidates[0]]);
        System.Linq.Enumerable.Sum(counts).Should().Be(6);
        foreach (var candidate in result.SelectedCandidates)
        {
            counts[candidate].Should().Be(System.Linq.Enumerable.Count(result.SelectedCandidates, c => c == candidate));
        }
    }

    [Fact]
    public void Load_DamagedFile_IsRefusedClearly()
    {
        SavedFiles.ShouldRefuseCorruptions(Searched.Value.Save, GreedyPolicySearchResult.Load, "GreedyPolicySearchResult");
    }

    [Theory]
    [InlineData("\"candidate\": ", "\"candidate\": 99", "step 0 has candidate 99 (pool of 30)*")]
    [InlineData("\"criterion\": \"CalibratedLogLikelihood\"", "\"criterion\": \"Best\"", "\"criterion\" is 'Best', not a PolicySearchCriterion")]
    [InlineData("\"steps\": [", "\"steps\": [], \"old\": [", "\"steps\" is empty")]
    [InlineData("\"temperature\": ", "\"temperature\": -", "step 0 has candidate * and temperature -*")]
    public void Load_InconsistentValues_ThrowsInvalidData(string find, string replace, string message)
    {
        var path = Path.Combine(directory, "policy.uqlib");
        Searched.Value.Save(path);
        var text = SavedFiles.Fields(File.ReadAllBytes(path));
        var at = text.IndexOf(find, StringComparison.Ordinal);
        var end = find.EndsWith(": ", StringComparison.Ordinal) ? text.IndexOfAny(new[] { ',', '\n', '\r' }, at + find.Length) : at + find.Length;
        var edited = find == "\"temperature\": " ? text[..(at + find.Length)] + "-" + text[(at + find.Length)..] : text[..at] + replace + text[end..];
        SavedFiles.ShouldRefuseFields(edited, GreedyPolicySearchResult.Load, "GreedyPolicySearchResult", message);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound()
    {
        var act = () => GreedyPolicySearchResult.Load(Path.Combine(directory, "absent.json"));
        act.Should().Throw<FileNotFoundException>();
    }
}
