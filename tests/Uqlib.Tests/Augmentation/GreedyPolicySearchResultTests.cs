using System;
using System.IO;
using FluentAssertions;
using Uqlib.Augmentation;
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
    public void Load_TruncatedFile_ThrowsInvalidData()
    {
        var path = Path.Combine(directory, "policy.json");
        Searched.Value.Save(path);
        var text = File.ReadAllText(path);
        File.WriteAllText(path, text[..(text.Length / 2)]);
        var act = () => GreedyPolicySearchResult.Load(path);
        act.Should().Throw<InvalidDataException>().WithMessage("*not valid JSON*");
    }

    [Fact]
    public void Load_WrongFormatOrVersion_ThrowsInvalidData()
    {
        var path = Path.Combine(directory, "policy.json");
        File.WriteAllText(path, "{\"format\": \"Uqlib.SigmaScaling\", \"version\": 1, \"scale\": 2}");
        var act = () => GreedyPolicySearchResult.Load(path);
        act.Should().Throw<InvalidDataException>().WithMessage("*not a Uqlib.GreedyPolicySearchResult file*");

        Searched.Value.Save(path);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"version\": 1", "\"version\": 9", StringComparison.Ordinal));
        act.Should().Throw<InvalidDataException>().WithMessage("*version 9*");
    }

    [Theory]
    [InlineData("\"candidate\": ", "\"candidate\": 99", "*candidate 99*")]
    [InlineData("\"criterion\": \"CalibratedLogLikelihood\"", "\"criterion\": \"Best\"", "*criterion \"Best\"*")]
    [InlineData("\"steps\": [", "\"steps\": [], \"old\": [", "*\"steps\"*non-empty*")]
    [InlineData("\"temperature\": ", "\"temperature\": -", "*temperature*")]
    public void Load_InconsistentValues_ThrowsInvalidData(string find, string replace, string message)
    {
        var path = Path.Combine(directory, "policy.json");
        Searched.Value.Save(path);
        var text = File.ReadAllText(path);
        var at = text.IndexOf(find, StringComparison.Ordinal);
        var end = find.EndsWith(": ", StringComparison.Ordinal) ? text.IndexOfAny(new[] { ',', '\n' }, at + find.Length) : at + find.Length;
        var edited = find == "\"temperature\": " ? text[..(at + find.Length)] + "-" + text[(at + find.Length)..] : text[..at] + replace + text[end..];
        File.WriteAllText(path, edited);
        var act = () => GreedyPolicySearchResult.Load(path);
        act.Should().Throw<InvalidDataException>().WithMessage(message);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound()
    {
        var act = () => GreedyPolicySearchResult.Load(Path.Combine(directory, "absent.json"));
        act.Should().Throw<FileNotFoundException>();
    }
}
