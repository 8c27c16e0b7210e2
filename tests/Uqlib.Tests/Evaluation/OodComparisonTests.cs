using System.Collections.Generic;
using FluentAssertions;
using TorchSharp;
using Uqlib.Evaluation;
using Xunit;

namespace Uqlib.Tests.Evaluation;

public sealed class OodComparisonTests
{
    private static OodComparison Table(OodOptions? options = null)
    {
        using var scope = torch.NewDisposeScope();
        var id = new Dictionary<string, torch.Tensor> { ["Energy"] = torch.tensor(new[] { 0.1, 0.4, 0.35, 0.8, 0.2 }) };
        var sets = new[]
        {
            new OodSet("near, other site", OodShift.Near, new Dictionary<string, torch.Tensor> { ["Energy"] = torch.tensor(new[] { 0.9, 0.35, 0.7 }) }),
            new OodSet("far", OodShift.Far, new Dictionary<string, torch.Tensor> { ["Energy"] = torch.tensor(new[] { 2.0, 3.0, 4.0 }) }),
            new OodSet("far 2", OodShift.Far, new Dictionary<string, torch.Tensor> { ["Energy"] = torch.tensor(new[] { 0.3, 3.0, 4.0, 5.0 }) }),
        };
        return OodEvaluator.Compare(id, sets, options ?? new OodOptions { Bootstrap = new BootstrapOptions { Resamples = 100 } });
    }

    [Fact]
    public void ToText_ListsRowsThenMeansOverTwoOrMoreSetsWithUndefinedIntervalsNamed()
    {
        var text = Table().ToText();

        var lines = text.Split('\n');
        lines[0].Should().StartWith("Detector").And.Contain("AUROC CI").And.Contain("FPR@95%TPR");
        lines[2].Should().Contain("near, other site").And.Contain("near");
        lines[3].Should().Contain("far").And.Contain("1.000").And.Contain("undefined");
        lines[4].Should().Contain("far 2");
        lines[5].Should().Contain("mean of 2 far").And.Contain("0.925");
        lines[6].Should().BeEmpty();
        Table().Means.Should().HaveCount(2);
    }

    [Fact]
    public void ToCsv_QuotesNamesAndLeavesUndefinedIntervalsEmpty()
    {
        var csv = Table().ToCsv().Split('\n');

        csv[0].Should().StartWith("detector,ood_set,shift,n_id,n_ood,auroc,");
        csv[1].Should().StartWith("Energy,\"near, other site\",near,5,3,");
        csv[2].Should().StartWith("Energy,far,far,5,3,1,,,");
    }

    [Fact]
    public void ToMarkdown_WithoutBootstrap_LeavesIntervalCellsBlank()
    {
        var markdown = Table(new OodOptions { Bootstrap = null }).ToMarkdown();

        markdown.Should().StartWith("| Detector | OOD set | Shift | AUROC | AUROC CI |");
        markdown.Should().NotContain("undefined");
        Table(new OodOptions { Bootstrap = null }).ToString().Should().Be(Table(new OodOptions { Bootstrap = null }).ToText());
    }
}
