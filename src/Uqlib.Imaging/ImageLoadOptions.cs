using System;
using System.Collections.Generic;
using System.Globalization;

namespace Uqlib.Imaging;

/// <summary>How image files become tensors: channels, size and normalisation, and the largest image accepted.</summary>
/// <remarks>Resizing comes first, then centre cropping, then normalisation (the order of torchvision's <c>Resize</c>, <c>CenterCrop</c>, <c>Normalize</c>).</remarks>
public sealed record ImageLoadOptions
{
    /// <summary>The default largest number of pixels per image: 8192 × 8192.</summary>
    public const long DefaultMaxPixels = 8192L * 8192L;

    /// <summary>The largest value <see cref="MaxPixels"/> may take: 2³¹ − 1 pixels, the most one decoded image buffer can address.</summary>
    public const long MaxPixelsLimit = int.MaxValue;

    /// <summary>Gets the channels to load.</summary>
    /// <value>The default value is <see cref="ImageColorMode.Grayscale"/>.</value>
    public ImageColorMode ColorMode { get; init; } = ImageColorMode.Grayscale;

    /// <summary>Gets the size every image is resized to (bicubic), or <see langword="null"/> to keep its size; its width × height must not exceed <see cref="MaxPixels"/>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public ImageSize? Resize { get; init; }

    /// <summary>Gets the size of the centre crop taken after resizing, or <see langword="null"/> for none; it must fit inside the image, and its width × height must not exceed <see cref="MaxPixels"/>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public ImageSize? CenterCrop { get; init; }

    /// <summary>Gets how pixel values are scaled.</summary>
    /// <value>The default value is <see cref="ImageNormalization.UnitRange"/>.</value>
    public ImageNormalization Normalization { get; init; } = ImageNormalization.UnitRange;

    /// <summary>Gets the per-channel means for <see cref="ImageNormalization.MeanStd"/>, on the [0, 1] scale; one per channel.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public IReadOnlyList<double>? Mean { get; init; }

    /// <summary>Gets the per-channel standard deviations for <see cref="ImageNormalization.MeanStd"/>, on the [0, 1] scale; one per channel, each greater than 0.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public IReadOnlyList<double>? Std { get; init; }

    /// <summary>
    /// Gets the largest number of pixels (width × height) an image may claim in its header; larger images are refused
    /// before any pixel memory is allocated, and the decoder's allocator is bounded accordingly. From 1 to <see cref="MaxPixelsLimit"/>;
    /// it also bounds <see cref="Resize"/> and <see cref="CenterCrop"/>.
    /// </summary>
    /// <value>The default value is <see cref="DefaultMaxPixels"/> (8192 × 8192).</value>
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>Gets the number of channels the loaded tensors have: 1 for grayscale, 3 for RGB.</summary>
    public int Channels => ColorMode == ImageColorMode.Rgb ? 3 : 1;

    /// <summary>Checks every option and reports every problem in one exception.</summary>
    /// <exception cref="ArgumentException">One or more options are invalid; the message lists them all.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (!Enum.IsDefined(ColorMode))
        {
            problems.Add($"ColorMode must be a defined ImageColorMode; found {ColorMode}.");
        }

        if (!Enum.IsDefined(Normalization))
        {
            problems.Add($"Normalization must be a defined ImageNormalization; found {Normalization}.");
        }

        CheckSize(Resize, nameof(Resize), problems);
        CheckSize(CenterCrop, nameof(CenterCrop), problems);
        if (Resize is { } resize && CenterCrop is { } crop && (crop.Width > resize.Width || crop.Height > resize.Height))
        {
            problems.Add(Invariant($"CenterCrop ({crop.Width} × {crop.Height}) must fit inside Resize ({resize.Width} × {resize.Height})."));
        }

        if (MaxPixels < 1 || MaxPixels > MaxPixelsLimit)
        {
            problems.Add(Invariant($"MaxPixels must be in [1, {MaxPixelsLimit}]; found {MaxPixels}."));
        }

        CheckArea(Resize, nameof(Resize), problems);
        CheckArea(CenterCrop, nameof(CenterCrop), problems);

        if (Normalization == ImageNormalization.MeanStd)
        {
            CheckStatistics(Mean, nameof(Mean), false, problems);
            CheckStatistics(Std, nameof(Std), true, problems);
        }
        else if (Mean is not null || Std is not null)
        {
            problems.Add($"Mean and Std apply only when Normalization is MeanStd; Normalization is {Normalization}.");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid ImageLoadOptions: " + string.Join(" ", problems));
        }
    }

    private void CheckStatistics(IReadOnlyList<double>? values, string name, bool positive, List<string> problems)
    {
        if (values is null)
        {
            problems.Add($"{name} is required when Normalization is MeanStd.");
            return;
        }

        if (values.Count != Channels)
        {
            problems.Add(Invariant($"{name} must have one value per channel ({Channels} for {ColorMode}); found {values.Count}."));
        }

        for (var i = 0; i < values.Count; i++)
        {
            var value = values[i];
            if (!double.IsFinite(value) || (positive && value <= 0))
            {
                var expected = positive ? "a finite number greater than 0" : "a finite number";
                problems.Add(Invariant($"{name}[{i}] must be {expected}; found {value}."));
            }
        }
    }

    private static void CheckSize(ImageSize? size, string name, List<string> problems)
    {
        if (size is { } s && (s.Width < 1 || s.Height < 1))
        {
            problems.Add(Invariant($"{name} must be at least 1 × 1 pixels; found {s.Width} × {s.Height}."));
        }
    }

    private void CheckArea(ImageSize? size, string name, List<string> problems)
    {
        if (size is { } s && (long)s.Width * s.Height > MaxPixels)
        {
            problems.Add(Invariant($"{name} ({s.Width} × {s.Height} = {(long)s.Width * s.Height} pixels) must not exceed MaxPixels ({MaxPixels}); raise MaxPixels to allow it."));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
