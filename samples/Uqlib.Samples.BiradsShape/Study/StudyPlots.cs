using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Uqlib.Calibration;
using Uqlib.Plotting;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>Draws the plots of one configuration with <c>Uqlib.Plotting</c>, as PNG and SVG: per set, the ROC curves of every method and
/// their risk–coverage curves, and the reliability diagrams before and after temperature scaling.</summary>
internal static class StudyPlots
{
    /// <summary>The plots' folder inside the report folder.</summary>
    internal const string Folder = "plots";

    /// <summary>Saves the plots of one configuration's table and returns their PNG files, relative to the report folder.</summary>
    internal static IReadOnlyList<string> Save(string directory, string key, string configuration, FailureDetectionTable table)
    {
        Directory.CreateDirectory(Path.Combine(directory, Folder));
        var setName = table.Set == "internal" ? "internal test" : "external";
        var files = new List<string>();
        var roc = $"{Folder}/roc-{key}-{table.Set}";
        using (var chart = RocCurvesChart.Create(table.Results, new ChartOptions { Width = 720, Height = 560, Title = $"Failure detection, {setName} set, {configuration}" }))
        {
            chart.Save(Path.Combine(directory, roc + ".png"));
            chart.Save(Path.Combine(directory, roc + ".svg"));
        }

        files.Add(roc + ".png");
        var riskCoverage = $"{Folder}/risk-coverage-{key}-{table.Set}";
        using (var chart = RiskCoverageChart.Create(table.Results, new ChartOptions { Width = 720, Height = 560, Title = $"Risk–coverage, {setName} set, {configuration}" }))
        {
            chart.Save(Path.Combine(directory, riskCoverage + ".png"));
            chart.Save(Path.Combine(directory, riskCoverage + ".svg"));
        }

        files.Add(riskCoverage + ".png");
        return files;
    }

    /// <summary>Saves the reliability diagrams of one set before and after temperature scaling; returns their PNG files.</summary>
    internal static IReadOnlyList<string> SaveReliability(string directory, string key, string set, ReliabilityDiagram before, ReliabilityDiagram after)
    {
        Directory.CreateDirectory(Path.Combine(directory, Folder));
        var setName = set == "internal" ? "internal test" : set;
        var files = new List<string>();
        foreach (var (label, diagram) in new[] { ("before", before), ("after", after) })
        {
            var file = $"{Folder}/reliability-{key}-{set}-{label}";
            var title = string.Create(CultureInfo.InvariantCulture, $"{setName}, {label} temperature scaling (ECE {diagram.Ece:F3})");
            using (var chart = ReliabilityDiagramChart.Create(diagram, new ChartOptions { Width = 560, Height = 480, FontSize = 12, Title = title }))
            {
                chart.Save(Path.Combine(directory, file + ".png"));
                chart.Save(Path.Combine(directory, file + ".svg"));
            }

            files.Add(file + ".png");
        }

        return files;
    }
}
