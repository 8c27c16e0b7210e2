using Microsoft.Extensions.Logging;

namespace Uqlib;

/// <summary>The event ids of everything the library logs through an optional <see cref="ILogger"/> (options records' <c>Logger</c>), one
/// place so that ids never collide: 1xxx augmentation search, 2xxx latent-space fits.</summary>
internal static class LogEvents
{
    /// <summary>A greedy policy search step was taken.</summary>
    public static readonly EventId Step = new(1001, "GpsStep");

    /// <summary>A greedy policy search stopped early: the best gain fell below the minimum.</summary>
    public static readonly EventId StoppedEarly = new(1002, "GpsStoppedEarly");

    /// <summary>A Mahalanobis fit chose its covariance estimate (method and shrinkage).</summary>
    public static readonly EventId CovarianceChosen = new(2001, "CovarianceChosen");
}
