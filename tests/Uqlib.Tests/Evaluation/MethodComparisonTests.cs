using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Evaluation;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Evaluation;

public sealed class MethodComparisonTests
{
    [Fact]
    public void Compare_Rows_EqualEvaluateAndDeLong()
    {
        var (scores, failures) = RocEvaluatorTests.Case(3);
        var (scores2, _) = RocEvaluatorTests.Case(3, "scores2");
        using var a = torch.tensor(scores);
        using var b = torch.tensor(scores2);
        using var f = torch.tensor(failures);

        var table = RocEvaluator.Compare(new Dictionary<string, Tensor> { ["entropy"] = a, ["tta, k=8"] = b }, f);

        var expected = RocEvaluator.Evaluate(scores, failures);
        var row = table.Rows[0];
        row.Method.Should().Be("entropy");
        row.Auroc.Should().Be(expected.Auroc);
        row.AurocCi.Should().Be(expected.AurocCi);
        row.Aupr.Should().Be(expected.Aupr);
        row.FprAt95Tpr.Should().Be(expected.FprAt95Tpr);
        row.Aurc.Should().Be(expected.Aurc);
        row.EAurc.Should().Be(expected.EAurc);
        row.Augrc.Should().Be(expected.Augrc);
        var best = table.Rows.Single(r => r.PValueVersusBest is null);
        best.Auroc.Should().Be(table.Rows.Max(r => r.Auroc));
        table.Rows.Single(r => r.PValueVersusBest is not null).PValueVersusBest
            .Should().BeApproximately(DeLong.PairedTest(scores, scores2, failures).PValue, 1e-15);
        table.Cases.Should().Be(300);
        table.Failures.Should().Be(failures.Count(x => x));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Compare_Augrc_MatchesTheNumPyReferenceOfTraubEtAl(int index)
    {
        var golden = Uqlib.Tests.TestSupport.Golden.Load("ood_evaluation.json").GetProperty("failures")[index];
        using var scores = Uqlib.Tests.TestSupport.Golden.VectorTensor(golden.GetProperty("scores"));
        using var reversed = scores.neg();
        using var failures = torch.tensor(golden.GetProperty("failures").EnumerateArray().Select(e => e.GetBoolean()).ToArray());

        var table = RocEvaluator.Compare(new Dictionary<string, Tensor> { ["score"] = scores, ["reversed"] = reversed }, failures);

        table.Rows[0].Augrc.Should().BeApproximately(golden.GetProperty("augrc").GetDouble(), 1e-12);
        table.Rows[0].Augrc.Should().Be(RocEvaluator.Evaluate(scores, failures).Augrc);
        table.Rows[1].Augrc.Should().Be(RocEvaluator.Evaluate(reversed, failures).Augrc);
        table.ToCsv().Split('\n')[1].Split(',')[9].Should().Be(table.Rows[0].Augrc.ToString("R", CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Renderings_HoldEveryRowInEachFormat()
    {
        var table = SmallTable();

        var text = table.ToText().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        text.Should().HaveCount(4);
        text[0].Should().StartWith("Method").And.Contain("AUROC CI").And.Contain("E-AURC  AUGRC  p vs best");
        text[1].Should().MatchRegex("^-+$");
        text.Select(l => l.Length).Distinct().Should().HaveCount(1, "columns are aligned");

        var markdown = table.ToMarkdown().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        markdown.Should().HaveCount(4);
        markdown[0].Should().Be("| Method | AUROC | AUROC CI | AUPR | FPR@95%TPR | AURC | E-AURC | AUGRC | p vs best |");
        markdown[1].Should().Be("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        markdown[2].Should().StartWith("| a | ");
        table.ToString().Should().Be(table.ToText());

        var csv = table.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        csv[0].Should().Be("method,auroc,auroc_ci_lower,auroc_ci_upper,auroc_ci_level,aupr,fpr_at_95_tpr,aurc,e_aurc,augrc,p_vs_best");
        csv[2].Should().StartWith("\"b, \"\"quoted\"\"\",");
        var fields = csv[1].Split(',');
        double.Parse(fields[1], CultureInfo.InvariantCulture).Should().Be(table.Rows[0].Auroc);
        double.Parse(fields[7], CultureInfo.InvariantCulture).Should().Be(table.Rows[0].Aurc);
        double.Parse(fields[9], CultureInfo.InvariantCulture).Should().Be(table.Rows[0].Augrc);
    }

    [Fact]
    public void Compare_BadInput_ThrowsClearErrors()
    {
        using var a = torch.tensor(new[] { 0.1, 0.2, 0.3 });
        using var shorter = torch.tensor(new[] { 0.1, 0.2 });
        using var nan = torch.tensor(new[] { 0.1, double.NaN, 0.3 });
        using var f = torch.tensor(new[] { true, false, true });
        using var none = torch.tensor(new[] { false, false, false });
        FluentActions.Invoking(() => RocEvaluator.Compare(new Dictionary<string, Tensor>(), f)).Should().Throw<ArgumentException>().WithParameterName("scores");
        FluentActions.Invoking(() => RocEvaluator.Compare(new Dictionary<string, Tensor> { ["a"] = a, ["b"] = shorter }, f))
            .Should().Throw<ArgumentException>().WithParameterName("failures").WithMessage("*scores[\"b\"] has 2*");
        FluentActions.Invoking(() => RocEvaluator.Compare(new Dictionary<string, Tensor> { ["n"] = nan }, f))
            .Should().Throw<ArgumentException>().WithMessage("*scores[\"n\"]*NaN*");
        FluentActions.Invoking(() => RocEvaluator.Compare(new Dictionary<string, Tensor> { ["a"] = a }, none))
            .Should().Throw<ArgumentException>().WithParameterName("failures").WithMessage("*no failure*");
        FluentActions.Invoking(() => RocEvaluator.Compare(null!, f)).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void Compare_WithClusters_UsesObuchowskisIntervalsAndPairedTest()
    {
        var (a, b, failures, ids) = ClusteredAurocTests.Case(0);
        var clusters = ClusterIds.From(ids);
        using var ta = torch.tensor(a);
        using var tb = torch.tensor(b);
        using var f = torch.tensor(failures);

        var table = RocEvaluator.Compare(new Dictionary<string, Tensor> { ["a"] = ta, ["b"] = tb }, f, clusters);

        table.Rows[0].AurocCi.Should().Be(ClusteredAuroc.Estimate(a, failures, clusters).Ci);
        table.Rows[1].AurocCi.Should().Be(ClusteredAuroc.Estimate(b, failures, clusters).Ci);
        var best = table.Rows[0].Auroc > table.Rows[1].Auroc ? (a, b) : (b, a);
        table.Rows.Single(r => r.PValueVersusBest is not null).PValueVersusBest
            .Should().BeApproximately(ClusteredAuroc.PairedTest(best.Item1, best.Item2, failures, clusters).PValue, 1e-15);
        table.Clusters.Should().Be(ClusteredAuroc.Estimate(a, failures, clusters).Clusters);
        table.ToText().Should().Contain("Obuchowski's clustered method, 30 clusters");
        table.ToMarkdown().Should().EndWith("cases (median " + table.Clusters!.MedianCases.ToString(CultureInfo.InvariantCulture) + ").\n");
        RocEvaluator.Compare(new Dictionary<string, Tensor> { ["a"] = ta }, f).Clusters.Should().BeNull();
    }

    [Fact]
    public void Compare_HolmAdjustment_AdjustsThePValuesAgainstTheBest()
    {
        var (scores, failures) = RocEvaluatorTests.Case(3);
        var (scores2, _) = RocEvaluatorTests.Case(3, "scores2");
        var random = new Random(3);
        using var a = torch.tensor(scores);
        using var b = torch.tensor(scores2);
        using var c = torch.tensor(scores.Select(s => s + random.NextDouble()).ToArray());
        using var d = torch.tensor(scores2.Select(s => s + (2 * random.NextDouble())).ToArray());
        using var f = torch.tensor(failures);
        var methods = new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b, ["c"] = c, ["d"] = d };

        var raw = RocEvaluator.Compare(methods, f);
        var holm = RocEvaluator.Compare(methods, f, new RocOptions { PValueAdjustment = PValueAdjustment.Holm });

        var expected = raw.Rows.Select(r => r.PValueVersusBest).ToArray();
        RocEvaluator.Holm(expected);
        holm.Rows.Select(r => r.PValueVersusBest).Should().Equal(expected);
        holm.Rows.Zip(raw.Rows).Should().OnlyContain(p => p.First.PValueVersusBest >= p.Second.PValueVersusBest || p.First.PValueVersusBest == null);
        holm.PValueAdjustment.Should().Be(PValueAdjustment.Holm);
        holm.ToText().Should().Contain("p Holm-adjusted");
    }

    [Fact]
    public void Holm_MatchesRsPAdjust()
    {
        // R 4.2: p.adjust(c(0.01, 0.04, 0.03, 0.2, 0.012), "holm") = 0.05 0.09 0.09 0.2 0.05.
        var p = new double?[] { 0.01, 0.04, null, 0.03, 0.2, 0.012 };
        RocEvaluator.Holm(p);
        p.Should().Equal(new double?[] { 0.05, 0.09, null, 0.09, 0.2, 0.05 }, (x, y) => x is null ? y is null : Math.Abs(x.Value - y!.Value) < 1e-15);
    }

    [Fact]
    public void Compare_WithBadClusters_NamesClusters()
    {
        var (a, _, failures, ids) = ClusteredAurocTests.Case(0);
        using var ta = torch.tensor(a);
        using var f = torch.tensor(failures);
        var methods = new Dictionary<string, Tensor> { ["a"] = ta };
        FluentActions.Invoking(() => RocEvaluator.Compare(methods, f, ClusterIds.From(ids.Skip(1).ToArray())))
            .Should().Throw<ArgumentException>().WithParameterName("clusters");
        FluentActions.Invoking(() => RocEvaluator.Compare(methods, f, (ClusterIds)null!))
            .Should().Throw<ArgumentNullException>().WithParameterName("clusters");
        FluentActions.Invoking(() => RocEvaluator.Compare(methods, f, new RocOptions { PValueAdjustment = (PValueAdjustment)5 }))
            .Should().Throw<ArgumentException>().WithMessage("*PValueAdjustment*");
    }

    private static MethodComparison SmallTable()
    {
        var (scores, failures) = RocEvaluatorTests.Case(0);
        var (scores2, _) = RocEvaluatorTests.Case(0, "scores2");
        using var a = torch.tensor(scores);
        using var b = torch.tensor(scores2);
        using var f = torch.tensor(failures);
        return RocEvaluator.Compare(new Dictionary<string, Tensor> { ["a"] = a, ["b, \"quoted\""] = b }, f);
    }
}
