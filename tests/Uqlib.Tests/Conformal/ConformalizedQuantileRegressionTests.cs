using System;
using System.Globalization;
using System.IO;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Conformal;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Conformal;

public sealed class ConformalizedQuantileRegressionTests : IDisposable
{
    private static readonly JsonElement Reference = Golden.Load("conformal.json").GetProperty("cqr");

    private readonly string directory = Directory.CreateTempSubdirectory("uqlib-cqr-").FullName;

    public void Dispose()
    {
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void Predict_MatchesReferenceMarginsAndIntervals()
    {
        using var lower = Golden.VectorTensor(Reference.GetProperty("calibrationLower"));
        using var upper = Golden.VectorTensor(Reference.GetProperty("calibrationUpper"));
        using var targets = Golden.VectorTensor(Reference.GetProperty("calibrationTargets"));
        using var testLower = Golden.VectorTensor(Reference.GetProperty("testLower"));
        using var testUpper = Golden.VectorTensor(Reference.GetProperty("testUpper"));
        var cqr = ConformalizedQuantileRegression.Fit(lower, upper, targets);
        foreach (var golden in Reference.GetProperty("alphas").EnumerateObject())
        {
            var alpha = double.Parse(golden.Name, CultureInfo.InvariantCulture);
            cqr.Margin(alpha).Should().Be(golden.Value.GetProperty("quantile").GetDouble());
            using var interval = cqr.Predict(testLower, testUpper, alpha);
            Golden.ToArray(interval.Lower).Should().Equal(Golden.Vector(golden.Value.GetProperty("lower")), (a, b) => Math.Abs(a - b) <= 1e-15);
            Golden.ToArray(interval.Upper).Should().Equal(Golden.Vector(golden.Value.GetProperty("upper")), (a, b) => Math.Abs(a - b) <= 1e-15);
        }
    }

    [Fact]
    public void Predict_500SeededSplits_CoversExactlyKOverNPlusOne()
    {
        // A quantile model of the wrong width (±0.5 where the noise is N(0, (0.2 + x)²)): CQR repairs it; the expected coverage is
        // k/(n + 1) = 46/51 for n = 50 and α = 0.1, within 4 deviations of Beta (calibration) plus binomial (test) noise.
        const int replicates = 500;
        const int n = 50;
        const int m = 50;
        const double alpha = 0.1;
        var total = 0.0;
        for (var r = 0; r < replicates; r++)
        {
            using var scope = torch.NewDisposeScope();
            using var generator = new torch.Generator((ulong)(500 + r));
            var x = torch.rand(new long[] { n + m }, ScalarType.Float64, generator: generator);
            var y = torch.randn(new long[] { n + m }, ScalarType.Float64, generator: generator).mul(x.add(0.2)).add(x.mul(3));
            var lo = x.mul(3).sub(0.5);
            var hi = x.mul(3).add(0.5);
            var cqr = ConformalizedQuantileRegression.Fit(lo.narrow(0, 0, n), hi.narrow(0, 0, n), y.narrow(0, 0, n));
            using var interval = cqr.Predict(lo.narrow(0, n, m), hi.narrow(0, n, m), alpha);
            total += interval.Coverage(y.narrow(0, n, m));
        }

        var tolerance = 4 * Math.Sqrt(((alpha * (1 - alpha) / (n + 2)) + (alpha * (1 - alpha) / m)) / replicates);
        (total / replicates).Should().BeApproximately(46.0 / 51, tolerance);
    }

    [Fact]
    public void SaveLoad_RoundTrip_IsExact_AndBadInputsThrow()
    {
        using var lower = torch.linspace(0, 1, 30, ScalarType.Float64);
        using var upper = lower.add(0.3);
        using var targets = lower.mul(1.7).sin();
        var cqr = ConformalizedQuantileRegression.Fit(lower, upper, targets);
        var path = Path.Combine(directory, "cqr.json");
        cqr.Save(path);
        var loaded = ConformalizedQuantileRegression.Load(path);
        loaded.Margin(0.1).Should().Be(cqr.Margin(0.1));
        loaded.Margin(0.25).Should().Be(cqr.Margin(0.25));
        FluentActions.Invoking(() => cqr.Margin(0.01)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*below 1/(n + 1)*");
        using var shorter = upper.narrow(0, 0, 20);
        FluentActions.Invoking(() => ConformalizedQuantileRegression.Fit(lower, shorter, targets)).Should().Throw<ArgumentException>().WithParameterName("upper");
    }
}
