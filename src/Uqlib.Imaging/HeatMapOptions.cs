using System;
using System.Collections.Generic;
using System.Globalization;

namespace Uqlib.Imaging;

/// <summary>How an uncertainty map is drawn: colour map, value range, overlay opacity and colour bar.</summary>
public sealed record HeatMapOptions
{
    /// <summary>Gets the colour map.</summary>
    /// <value>The default value is <see cref="ColorMap.Viridis"/>.</value>
    public ColorMap ColorMap { get; init; } = ColorMap.Viridis;

    /// <summary>Gets the value drawn in the first colour (smaller values are clamped to it), or <see langword="null"/> for the map's smallest value.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public double? Minimum { get; init; }

    /// <summary>Gets the value drawn in the last colour (larger values are clamped to it), or <see langword="null"/> for the map's largest value.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public double? Maximum { get; init; }

    /// <summary>Gets the opacity of the heat map over the grayscale image in an overlay, in (0, 1].</summary>
    /// <value>The default value is 0.5.</value>
    public double Opacity { get; init; } = 0.5;

    /// <summary>Gets a value indicating whether a colour bar, labelled with the smallest, middle and largest value, is drawn to the right of the image.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool ColorBar { get; init; } = true;

    /// <summary>Checks every option and reports every problem in one exception.</summary>
    /// <exception cref="ArgumentException">One or more options are invalid; the message lists them all.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (!Enum.IsDefined(ColorMap))
        {
            problems.Add($"ColorMap must be a defined ColorMap; found {ColorMap}.");
        }

        if (Minimum is { } min && !double.IsFinite(min))
        {
            problems.Add(Invariant($"Minimum must be a finite number; found {min}."));
        }

        if (Maximum is { } max && !double.IsFinite(max))
        {
            problems.Add(Invariant($"Maximum must be a finite number; found {max}."));
        }

        if (Minimum is { } low && Maximum is { } high && double.IsFinite(low) && double.IsFinite(high) && low >= high)
        {
            problems.Add(Invariant($"Minimum ({low}) must be less than Maximum ({high})."));
        }

        if (double.IsNaN(Opacity) || Opacity <= 0 || Opacity > 1)
        {
            problems.Add(Invariant($"Opacity must be in (0, 1]; found {Opacity}."));
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid HeatMapOptions: " + string.Join(" ", problems));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
