using System;
using System.Collections.Generic;
using System.Globalization;

namespace Uqlib.Plotting;

/// <summary>The size and text of a chart; every chart factory takes one (or its defaults).</summary>
/// <remarks>Immutable. Sizes are in pixels; an SVG uses the same numbers as its width and height.</remarks>
public sealed record ChartOptions
{
    /// <summary>Gets the width in pixels, 64 to 8192.</summary>
    /// <value>The default value is 640.</value>
    public int Width { get; init; } = 640;

    /// <summary>Gets the height in pixels, 64 to 8192.</summary>
    /// <value>The default value is 480.</value>
    public int Height { get; init; } = 480;

    /// <summary>Gets the title, or <see langword="null"/> for the chart's own title (which may carry a metric, such as the ECE).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Title { get; init; }

    /// <summary>Gets the x-axis label, or <see langword="null"/> for the chart's own (each chart's <c>XLabel</c> constant).</summary>
    /// <value>The default value is <see langword="null"/>. Set it where the chart's own words do not fit the use: an ROC chart of
    /// out-of-distribution detection, for example, flags in-distribution cases, not correct ones.</value>
    public string? XLabel { get; init; }

    /// <summary>Gets the y-axis label, or <see langword="null"/> for the chart's own (each chart's <c>YLabel</c> constant).</summary>
    /// <value>The default value is <see langword="null"/>. An ROC chart of out-of-distribution detection would say
    /// "True-positive rate (OOD flagged)" rather than "(failures flagged)". In the reliability diagram it labels the upper panel.</value>
    public string? YLabel { get; init; }

    /// <summary>Gets the size of the title and axis labels in points, 6 to 72; tick labels and the legend are drawn a little smaller.</summary>
    /// <value>The default value is 14.</value>
    public double FontSize { get; init; } = 14;

    /// <summary>Checks every option and reports every problem in one exception.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message lists each one.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (Width is < 64 or > 8192)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Width must be in [64, 8192]; found {Width}."));
        }

        if (Height is < 64 or > 8192)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Height must be in [64, 8192]; found {Height}."));
        }

        if (double.IsNaN(FontSize) || FontSize < 6 || FontSize > 72)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"FontSize must be in [6, 72]; found {FontSize}."));
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid chart options: " + string.Join(" ", problems), "options");
        }
    }
}
