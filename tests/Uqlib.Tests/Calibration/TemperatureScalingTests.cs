using System;
using System.IO;
using FluentAssertions;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Calibration;

public sealed class TemperatureScalingTests
{
    public static TheoryData<int> Cases => new() { 0, 1, 2, 3 };

    [Fact]
    public void Fit_EachGpsCandidate_GivesTheBatchedFitOfTheSameProblem()
    {
        // One solver for one problem: temperature scaling on a candidate's log-probabilities (valid logits) and the greedy policy
        // search's batched fit of all candidates at once must agree, and both match SciPy (gps.json, BatchedTemperatureTests).
        var (cache, labels) = Uqlib.Tests.Augmentation.SyntheticCache.Create();
        using (cache)
        using (labels)
        {
            var (beta, _) = Uqlib.Augmentation.BatchedTemperature.Fit(cache, labels, 0.01, 100, 1L << 20);
            for (var k = 0; k < beta.Length; k++)
            {
                using var candidate = cache[k];
                var temperature = TemperatureScaling.Fit(candidate, labels, new TemperatureScalingOptions { MinTemperature = 0.01, MaxTemperature = 100 }).Temperature;
                temperature.Should().BeApproximately(1 / beta[k], 1e-9 / beta[k], $"candidate {k}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fit_MatchesPyTorchLbfgs(int index)
    {
        var golden = CalibrationFixtures.Case(index);
        using var logits = CalibrationFixtures.Logits(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var expected = golden.GetProperty("temperature").GetDouble();

        var fitted = TemperatureScaling.Fit(logits, y);

        fitted.Temperature.Should().BeApproximately(expected, 1e-4 * expected);
        fitted.Classes.Should().Be(index == 2 ? 10 : index == 3 ? 2 : 5);
    }

    [Fact]
    public void Fit_OfALargeSet_ZeroesTheNllGradient()
    {
        // 20,000 samples take the warm-started path; at the optimum dNLL/dβ = mean(E_softmax(βz)[z] − z_y) vanishes.
        using var logits = torch.randn(20_000, 10, generator: torch.manual_seed(21), dtype: ScalarType.Float64).mul_(3);
        using var truth = logits.div(1.7).softmax(1);
        using var y = truth.multinomial(1, generator: torch.manual_seed(22)).squeeze(1);
        var fitted = TemperatureScaling.Fit(logits, y);

        using var p = logits.div(fitted.Temperature).softmax(1);
        using var expected = p.mul(logits).sum(1);
        using var chosen = logits.gather(1, y.unsqueeze(1)).squeeze(1);
        var gradient = expected.sub(chosen).mean().ToDouble();
        Math.Abs(gradient).Should().BeLessThan(1e-12);
        fitted.Temperature.Should().BeApproximately(1.7, 0.1);
    }

    [Fact]
    public void Fit_OfFloat32Logits_EqualsTheFitOfTheSameValuesInFloat64()
    {
        var golden = CalibrationFixtures.Case(2);
        using var logits = CalibrationFixtures.Logits(golden);
        using var single = logits.to(ScalarType.Float32);
        using var widened = single.to(ScalarType.Float64);
        using var y = CalibrationFixtures.Labels(golden);
        var fromSingle = TemperatureScaling.Fit(single, y).Temperature;
        var fromDouble = TemperatureScaling.Fit(widened, y).Temperature;
        fromSingle.Should().BeApproximately(fromDouble, 1e-13 * fromDouble);
        fromSingle.Should().BeApproximately(golden.GetProperty("temperature").GetDouble(), 1e-4 * fromDouble);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fit_IsTheNllMinimum_AndNeverRaisesNll(int index)
    {
        var golden = CalibrationFixtures.Case(index);
        using var logits = CalibrationFixtures.Logits(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var fitted = TemperatureScaling.Fit(logits, y);

        double Nll(double t)
        {
            using var p = TemperatureScaling.WithTemperature(t, fitted.Classes).Transform(logits);
            return CalibrationMetrics.NegativeLogLikelihood(p, y);
        }

        var best = Nll(fitted.Temperature);
        best.Should().BeLessThanOrEqualTo(Nll(1.0));
        best.Should().BeLessThanOrEqualTo(Nll(fitted.Temperature * (1 + 1e-6)));
        best.Should().BeLessThanOrEqualTo(Nll(fitted.Temperature * (1 - 1e-6)));
    }

    [Fact]
    public void Transform_NeverChangesTheArgmax_AndGivesProbabilities()
    {
        using var logits = torch.randn(200, 6, generator: torch.manual_seed(5), dtype: ScalarType.Float32).mul_(4);
        using var y = torch.randint(0, 6, new long[] { 200 }, generator: torch.manual_seed(6));
        var fitted = TemperatureScaling.Fit(logits, y);
        using var p = fitted.Transform(logits);
        using var before = logits.argmax(1);
        using var after = p.argmax(1);
        using var sums = p.sum(1);

        fitted.Temperature.Should().BeGreaterThan(1, "random labels call for softer predictions");
        after.allclose(before, rtol: 0, atol: 0).Should().BeTrue();
        p.dtype.Should().Be(ScalarType.Float64);
        Golden.ToArray(sums).Should().OnlyContain(s => Math.Abs(s - 1) < 1e-12);
    }

    [Fact]
    public void Fit_OfBinaryLogit_AcceptsVectorAndColumnAlike()
    {
        var golden = CalibrationFixtures.Case(3);
        using var z = CalibrationFixtures.Logits(golden);
        using var column = z.unsqueeze(1);
        using var y = CalibrationFixtures.Labels(golden);
        var fromVector = TemperatureScaling.Fit(z, y);
        var fromColumn = TemperatureScaling.Fit(column, y);
        fromColumn.Temperature.Should().Be(fromVector.Temperature);

        using var p = fromVector.Transform(z);
        using var expected = z.div(fromVector.Temperature).sigmoid();
        Golden.ToArray(p.select(1, 1)).Should().Equal(Golden.ToArray(expected), (a, b) => Math.Abs(a - b) < 1e-14);
    }

    [Fact]
    public void Fit_WhenEveryPredictionIsRight_ReturnsTheMinimumTemperature()
    {
        using var logits = torch.tensor(new[,] { { 3.0, 0.0 }, { 0.0, 2.0 }, { 1.0, -1.0 } });
        using var y = torch.tensor(new long[] { 0, 1, 0 });
        TemperatureScaling.Fit(logits, y).Temperature.Should().Be(0.01);
        TemperatureScaling.Fit(logits, y, new TemperatureScalingOptions { MinTemperature = 0.5 }).Temperature.Should().Be(0.5);
    }

    [Fact]
    public void Fit_WhenLogitsPointAwayFromTheLabels_ReturnsTheMaximumTemperature()
    {
        using var logits = torch.tensor(new[,] { { 3.0, 0.0 }, { 0.0, 2.0 } });
        using var y = torch.tensor(new long[] { 1, 0 });
        TemperatureScaling.Fit(logits, y).Temperature.Should().Be(100);
    }

    [Fact]
    public void Fit_OfOneSample_IsFiniteAndPositive()
    {
        using var logits = torch.tensor(new[,] { { 1.0, 0.5, -0.3 } });
        using var y = torch.tensor(new long[] { 1 });
        var t = TemperatureScaling.Fit(logits, y).Temperature;
        double.IsFinite(t).Should().BeTrue();
        t.Should().BeInRange(0.01, 100);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Fit_OfNonFiniteLogits_Throws(double bad)
    {
        using var logits = torch.tensor(new[,] { { 1.0, 0.0 }, { bad, 0.0 } });
        using var y = torch.tensor(new long[] { 0, 1 });
        ((Action)(() => TemperatureScaling.Fit(logits, y))).Should().Throw<ArgumentException>().WithParameterName("logits").WithMessage("*row 1*");
    }

    [Fact]
    public void Fit_OfBadArguments_Throws()
    {
        using var logits = torch.tensor(new[,] { { 2.0, 0.0 }, { 0.0, 2.0 } });
        using var empty = torch.zeros(0, 2);
        using var emptyLabels = torch.zeros(0, dtype: ScalarType.Int64);
        using var threeLabels = torch.tensor(new long[] { 0, 1, 1 });
        using var outOfRange = torch.tensor(new long[] { 0, 5 });
        using var y = torch.tensor(new long[] { 0, 1 });
        using var wide = torch.zeros(2, 3);

        ((Action)(() => TemperatureScaling.Fit(empty, emptyLabels))).Should().Throw<ArgumentException>().WithMessage("*empty*");
        ((Action)(() => TemperatureScaling.Fit(logits, threeLabels))).Should().Throw<ArgumentException>().WithParameterName("labels");
        ((Action)(() => TemperatureScaling.Fit(logits, outOfRange))).Should().Throw<ArgumentException>().WithMessage("*[0, 1]*");
        ((Action)(() => TemperatureScaling.Fit(logits, y, new TemperatureScalingOptions { MinTemperature = 5, MaxTemperature = 1 })))
            .Should().Throw<ArgumentException>().WithMessage("*MinTemperature*");
        ((Action)(() => TemperatureScaling.Fit(null!, y))).Should().Throw<ArgumentNullException>();
        ((Action)(() => TemperatureScaling.WithTemperature(2, 2).Transform(wide))).Should().Throw<ArgumentException>().WithMessage("*2 classes*");
        ((Action)(() => TemperatureScaling.WithTemperature(double.NaN, 2))).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void SaveAndLoad_RoundTrip_GivesIdenticalProbabilities()
    {
        var golden = CalibrationFixtures.Case(1);
        using var logits = CalibrationFixtures.Logits(golden);
        using var y = CalibrationFixtures.Labels(golden);
        var fitted = TemperatureScaling.Fit(logits, y);
        var path = Path.GetTempFileName();
        try
        {
            fitted.Save(path);
            var loaded = TemperatureScaling.Load(path);
            loaded.Temperature.Should().Be(fitted.Temperature);
            using var a = fitted.Transform(logits);
            using var b = loaded.Transform(logits);
            b.allclose(a, rtol: 0, atol: 0).Should().BeTrue();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("{\"classes\": 3, \"tempera", "its metadata is not valid JSON*")]
    [InlineData("{\"a\": 1, \"b\": 0}", "\"temperature\" is missing")]
    [InlineData("{\"classes\": 3, \"temperature\": -1}", "it has temperature -1 and 3 classes; expected T > 0 and at least 2 classes")]
    [InlineData("{\"classes\": 3}", "\"temperature\" is missing")]
    [InlineData("{\"classes\": 3.5, \"temperature\": 1}", "\"classes\" is not a 32-bit integer")]
    public void Load_OfCorruptFile_ThrowsInvalidData(string content, string problem)
    {
        SavedFiles.ShouldRefuseFields(content, TemperatureScaling.Load, "TemperatureScaling", problem);
    }

    [Fact]
    public void FitAndTransform_LeakNoTensors()
    {
        using var logits = torch.randn(50, 4, generator: torch.manual_seed(1));
        using var y = torch.randint(0, 4, new long[] { 50 }, generator: torch.manual_seed(2));
        var before = LiveTensors.Count;
        var fitted = TemperatureScaling.Fit(logits, y);
        fitted.Transform(logits).Dispose();
        fitted.ScaleLogits(logits).Dispose();
        LiveTensors.Count.Should().Be(before);
    }

    [Fact]
    public void Transform_OfFloat32LogitsAtTheEdges_MatchesTheFloat64Reference()
    {
        foreach (var golden in Golden.Load("float_edges.json").GetProperty("cases").EnumerateArray())
        {
            using var logits = Golden.VectorTensor(golden.GetProperty("logits"), ScalarType.Float32).unsqueeze(0);
            foreach (var expected in golden.GetProperty("temperatureScaled").EnumerateObject())
            {
                var temperature = double.Parse(expected.Name, System.Globalization.CultureInfo.InvariantCulture);
                using var p = TemperatureScaling.WithTemperature(temperature, (int)logits.shape[1]).Transform(logits);
                Golden.ToArray(p).Should().Equal(Golden.Vector(expected.Value), (a, b) => Math.Abs(a - b) < 1e-12, $"{golden.GetProperty("name")} at T = {temperature}");
            }
        }
    }

    [Fact]
    public void ScaleLogits_WhenTheScaledLogitsOverflow_ThrowsNamingLogits()
    {
        using var logits = torch.tensor(new float[] { 3e38f, 0, -3e38f }).unsqueeze(0);
        ((Action)(() => TemperatureScaling.WithTemperature(0.5, 3).ScaleLogits(logits))).Should().Throw<ArgumentException>().WithParameterName("logits").WithMessage("*Transform*");
    }

    [Fact]
    public void Fit_OfProbabilities_ThrowsSayingHowToPassThem()
    {
        // netcal's users pass softmax outputs; the old fit returned T = 0.167 without a word.
        using var logits = torch.randn(200, 4, generator: torch.manual_seed(3));
        using var probabilities = logits.softmax(1);
        using var labels = logits.argmax(1);
        ((Action)(() => TemperatureScaling.Fit(probabilities, labels))).Should().Throw<ArgumentException>().WithParameterName("logits").WithMessage("*holds probabilities*log()*");
        ((Action)(() => TemperatureScaling.WithTemperature(2, 4).Transform(probabilities))).Should().Throw<ArgumentException>().WithParameterName("logits");
        using var logProbabilities = probabilities.log();
        TemperatureScaling.Fit(logProbabilities, labels).Temperature.Should().BeApproximately(TemperatureScaling.Fit(logits, labels).Temperature, 1e-4);
    }

    [Fact]
    public void ToString_InAnyCulture_ReadsLikeScikitLearnsRepr()
    {
        var culture = System.Globalization.CultureInfo.CurrentCulture;
        System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.GetCultureInfo("de-DE");
        try
        {
            TemperatureScaling.WithTemperature(1.00816, 10).ToString().Should().Be("TemperatureScaling(T=1.0082, classes=10)");
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = culture;
        }
    }
}
