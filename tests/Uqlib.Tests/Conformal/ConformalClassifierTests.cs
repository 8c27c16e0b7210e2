using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Conformal;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Conformal;

public sealed class ConformalClassifierTests : IDisposable
{
    private static readonly JsonElement Reference = Golden.Load("conformal.json");

    private readonly string directory = Directory.CreateTempSubdirectory("uqlib-conformal-sets-").FullName;

    public void Dispose()
    {
        Directory.Delete(directory, recursive: true);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Predict_EveryScoreAndVariant_MatchesReferenceSets(int index)
    {
        var data = Reference.GetProperty("classification")[index];
        using var calibration = GoldenArrays.Tensor(data.GetProperty("calibrationProbabilities"));
        using var labels = Labels(data.GetProperty("calibrationLabels"));
        using var uniforms = GoldenArrays.Tensor(data.GetProperty("calibrationUniforms"));
        using var test = GoldenArrays.Tensor(data.GetProperty("testProbabilities"));
        using var testLabels = Labels(data.GetProperty("testLabels"));
        using var testUniforms = GoldenArrays.Tensor(data.GetProperty("testUniforms"));
        var checkedCases = 0;
        foreach (var golden in data.GetProperty("cases").EnumerateArray())
        {
            var options = Options(golden);
            var alpha = golden.GetProperty("alpha").GetDouble();
            var classifier = ConformalClassifier.Fit(calibration, labels, options, uniforms: uniforms);
            var because = $"{data.GetProperty("name")} {options} α = {alpha}";
            classifier.Thresholds(alpha).Should().Equal(Golden.Vector(golden.GetProperty("thresholds")), (a, b) => Math.Abs(a - b) <= 1e-12, because);
            using var sets = classifier.Predict(test, alpha, testUniforms);
            GoldenArrays.Flat(golden.GetProperty("sets")).Should().Equal(Golden.ToArray(sets.Sets), because);
            Golden.ToArray(sets.Sizes).Should().Equal(Golden.Vector(golden.GetProperty("sizes")), because);
            sets.Coverage(testLabels).Should().BeApproximately(golden.GetProperty("coverage").GetDouble(), 1e-12, because);
            checkedCases++;
        }

        checkedCases.Should().Be(64);
    }

    [Fact]
    public void Thresholds_UseTheFiniteSampleRank()
    {
        // n = 9 scores 0.1 … 0.9 (LAC, p_y = 1 − s): α = 0.1 gives k = ⌈10 · 0.9⌉ = 9, the largest; α = 0.35 gives k = ⌈6.5⌉ = 7.
        var scores = Enumerable.Range(1, 9).Select(i => i / 10.0).ToArray();
        using var probabilities = torch.tensor(scores.SelectMany(s => new[] { 1 - s, s }).ToArray()).reshape(9, 2);
        using var labels = torch.zeros(9, ScalarType.Int64);
        var classifier = ConformalClassifier.Fit(probabilities, labels);
        classifier.Thresholds(0.1)[0].Should().BeApproximately(0.9, 1e-15);
        classifier.Thresholds(0.35)[0].Should().BeApproximately(0.7, 1e-15);
        ConformalClassifier.MinimumCalibrationCount(0.1).Should().Be(9);
    }

    [Fact]
    public void Predict_AlphaBelowOneOverNPlusOne_ThrowsSayingSo()
    {
        var classifier = Fitted(new ConformalSetOptions());
        var act = () => classifier.Predict(Probabilities(5, 3, 2), 0.001);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("alpha")
            .WithMessage("*alpha = 0.001 is below 1/(n + 1)*n = 100*");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void Predict_AlphaOutsideTheOpenUnitInterval_ThrowsSayingSo(double alpha)
    {
        var classifier = Fitted(new ConformalSetOptions());
        var act = () => classifier.Thresholds(alpha);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("alpha").WithMessage("*open interval (0, 1)*");
    }

    [Fact]
    public void Predict_ClassConditionalWithTooFewCasesOfAClass_ThrowsNamingTheClass()
    {
        // Labels 0 and 1 often, class 2 four times: α = 0.1 needs 9 per class.
        var labelValues = Enumerable.Range(0, 100).Select(i => i < 4 ? 2L : i % 2).ToArray();
        using var probabilities = Probabilities(100, 3, 1);
        using var labels = torch.tensor(labelValues);
        var classifier = ConformalClassifier.Fit(probabilities, labels, new ConformalSetOptions { ClassConditional = true });
        classifier.ClassCounts().Should().Equal(48, 48, 4);
        classifier.Thresholds(0.2).Should().HaveCount(3);
        var act = () => classifier.Thresholds(0.1);
        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*class 2 (n = 4)*at least 9*");
    }

    [Fact]
    public void Fit_ClassConditionalWithAClassAbsent_Throws()
    {
        using var probabilities = Probabilities(20, 3, 1);
        using var labels = torch.tensor(Enumerable.Range(0, 20).Select(i => (long)(i % 2)).ToArray());
        var act = () => ConformalClassifier.Fit(probabilities, labels, new ConformalSetOptions { ClassConditional = true });
        act.Should().Throw<ArgumentException>().WithParameterName("labels").WithMessage("*class 2 has none*");
    }

    [Fact]
    public void Fit_InvalidInputs_ThrowNamingTheArgument()
    {
        using var probabilities = Probabilities(10, 3, 1);
        using var labels = torch.zeros(10, ScalarType.Int64);
        using var shortLabels = torch.zeros(9, ScalarType.Int64);
        using var badLabels = torch.full(10, 3L);
        using var nan = probabilities.clone().index_put_(torch.tensor(double.NaN), 2, 1);
        using var notSummingToOne = probabilities.mul(0.5);
        using var uniforms = torch.full(10, 1.5, ScalarType.Float64);
        var randomized = new ConformalSetOptions { Score = SetScore.Aps, Randomized = true };

        FluentActions.Invoking(() => ConformalClassifier.Fit(null!, labels)).Should().Throw<ArgumentNullException>().WithParameterName("probabilities");
        FluentActions.Invoking(() => ConformalClassifier.Fit(probabilities, shortLabels)).Should().Throw<ArgumentException>().WithParameterName("labels");
        FluentActions.Invoking(() => ConformalClassifier.Fit(probabilities, badLabels)).Should().Throw<ArgumentException>().WithMessage("*[0, 2]*");
        FluentActions.Invoking(() => ConformalClassifier.Fit(nan, labels)).Should().Throw<ArgumentException>().WithMessage("*1 NaN value (first at row 2)*");
        FluentActions.Invoking(() => ConformalClassifier.Fit(notSummingToOne, labels)).Should().Throw<ArgumentException>().WithMessage("*sum to 1*");
        FluentActions.Invoking(() => ConformalClassifier.Fit(probabilities, labels, randomized, uniforms: uniforms)).Should().Throw<ArgumentException>().WithParameterName("uniforms");
        FluentActions.Invoking(() => ConformalClassifier.Fit(probabilities, labels, new ConformalSetOptions { Lambda = -1, KReg = -2 }))
            .Should().Throw<ArgumentException>().WithMessage("*Lambda*KReg*");
    }

    [Theory]
    [InlineData(SetScore.Lac, false, false, false)]
    [InlineData(SetScore.Lac, true, false, false)]
    [InlineData(SetScore.Lac, false, true, false)]
    [InlineData(SetScore.Lac, true, true, true)]
    [InlineData(SetScore.Aps, false, false, false)]
    [InlineData(SetScore.Aps, true, false, false)]
    [InlineData(SetScore.Aps, true, true, true)]
    [InlineData(SetScore.Raps, true, false, false)]
    [InlineData(SetScore.Raps, false, true, false)]
    [InlineData(SetScore.TopK, false, false, false)]
    [InlineData(SetScore.TopK, true, false, true)]
    [InlineData(SetScore.TopK, true, true, false)]
    public void Predict_OnContiguousFloat32_EqualsTheTensorPathOfAStridedView(SetScore score, bool randomized, bool classConditional, bool allowEmpty)
    {
        // The one-pass path takes contiguous CPU tensors; a transposed copy viewed back is strided and takes the tensor path. The quantised
        // probabilities tie often, so the ranking's tie order (class index) is exercised.
        var options = new ConformalSetOptions
        {
            Score = score, Randomized = randomized, ClassConditional = classConditional, AllowEmptySets = allowEmpty, Seed = 5, KReg = 1, Lambda = 0.2,
        };
        using var calibration = Quantised(3000, 4, 8);
        using var labels = Sampled(calibration, 9);
        var classifier = ConformalClassifier.Fit(calibration, labels, options);
        using var test = Quantised(20_000, 4, 10).to(ScalarType.Float32);
        using var transposed = test.t().contiguous();
        using var strided = transposed.t();
        strided.is_contiguous().Should().BeFalse();

        foreach (var alpha in new[] { 0.05, 0.1, 0.3 })
        {
            using var fused = classifier.Predict(test, alpha);
            using var general = classifier.Predict(strided, alpha);
            Golden.ToArray(fused.Sets).Should().Equal(Golden.ToArray(general.Sets));
            Golden.ToArray(fused.Sizes).Should().Equal(Golden.ToArray(general.Sizes));
        }
    }

    [Theory]
    [InlineData(SetScore.Lac)]
    [InlineData(SetScore.Aps)]
    public void Predict_InvalidProbabilities_NamesTheProblemBeforeTheLevel(SetScore score)
    {
        var classifier = Fitted(new ConformalSetOptions { Score = score });
        using var nan = torch.tensor(new[] { 0.2, 0.3, 0.5, double.NaN, 0.5, 0.5 }).reshape(2, 3);
        using var unnormalised = torch.tensor(new[] { 0.2, 0.3, 0.5, 0.1, 0.1, 0.1 }).reshape(2, 3);

        ((Action)(() => classifier.Predict(nan, 0.1))).Should().Throw<ArgumentException>().WithParameterName("probabilities").WithMessage("*NaN*");
        ((Action)(() => classifier.Predict(unnormalised, 0.1))).Should().Throw<ArgumentException>().WithParameterName("probabilities").WithMessage("*must sum to 1*");
        ((Action)(() => classifier.Predict(unnormalised, 1e-6))).Should().Throw<ArgumentException>().WithParameterName("probabilities").WithMessage("*must sum to 1*");
    }

    [Fact]
    public void Predict_WrongNumberOfClasses_Throws()
    {
        var classifier = Fitted(new ConformalSetOptions());
        using var four = Probabilities(5, 4, 3);
        var act = () => classifier.Predict(four, 0.1);
        act.Should().Throw<ArgumentException>().WithParameterName("probabilities").WithMessage("*(N, 3) as at fitting*");
    }

    [Theory]
    [InlineData(SetScore.Lac)]
    [InlineData(SetScore.Aps)]
    [InlineData(SetScore.Raps)]
    [InlineData(SetScore.TopK)]
    public void Predict_SeededRandomisation_IsReproducibleAndSeedDependent(SetScore score)
    {
        // Integer logits in {0, 1, 2}: quantised probabilities, so that LAC and top-k scores tie and their draws matter.
        var options = new ConformalSetOptions { Score = score, Randomized = true, Seed = 3 };
        using var probabilities = Quantised(2000, 4, 5);
        using var labels = Sampled(probabilities, 6);
        using var test = Quantised(500, 4, 7);
        var first = Sets(ConformalClassifier.Fit(probabilities, labels, options), test);
        var again = Sets(ConformalClassifier.Fit(probabilities, labels, options), test);
        var other = Sets(ConformalClassifier.Fit(probabilities, labels, options with { Seed = 4 }), test);
        first.Should().Equal(again);
        first.Should().NotEqual(other);
    }

    [Fact]
    public void Predict_NeverEmptyRule_AddsTheTopClassOnly()
    {
        var options = new ConformalSetOptions { Score = SetScore.Aps, Randomized = true };
        using var probabilities = Probabilities(300, 5, 8);
        using var labels = Sampled(probabilities, 9);
        using var test = Probabilities(400, 5, 10);
        using var allowed = ConformalClassifier.Fit(probabilities, labels, options with { AllowEmptySets = true }).Predict(test, 0.3);
        using var filled = ConformalClassifier.Fit(probabilities, labels, options).Predict(test, 0.3);
        using var empty = allowed.Sizes.eq(0);
        empty.any().item<bool>().Should().BeTrue("randomised APS at α = 0.3 gives some empty sets");
        using var top = test.argmax(1);
        using var difference = filled.Sets.logical_xor(allowed.Sets);
        using var expected = torch.nn.functional.one_hot(top, 5).to(ScalarType.Bool).logical_and(empty.unsqueeze(1));
        Golden.ToArray(difference).Should().Equal(Golden.ToArray(expected));
        using var nonEmpty = filled.Sizes.ge(1);
        nonEmpty.all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void Fit_WithClusters_KeepsOneScorePerCluster()
    {
        using var probabilities = Probabilities(60, 3, 11);
        using var labels = Sampled(probabilities, 12);
        using var clusters = torch.arange(60L).div(4, rounding_mode: RoundingMode.floor);
        var random = ConformalClassifier.Fit(probabilities, labels, new ConformalSetOptions(), clusters);
        var maximum = ConformalClassifier.Fit(probabilities, labels, new ConformalSetOptions { ClusterCalibration = ClusterCalibration.Maximum }, clusters);
        random.CalibrationCount.Should().Be(15);
        maximum.CalibrationCount.Should().Be(15);

        // The maximum of each cluster: the LAC scores 1 − p_y, grouped by fours.
        using var own = probabilities.gather(1, labels.unsqueeze(1)).squeeze(1).neg().add(1.0);
        var perCluster = Golden.ToArray(own.reshape(15, 4).amax(new long[] { 1 })).OrderBy(v => v).ToArray();
        maximum.Thresholds(0.5)[0].Should().Be(perCluster[7]);
        random.Thresholds(0.5)[0].Should().BeLessThanOrEqualTo(maximum.Thresholds(0.5)[0]);
    }

    [Theory]
    [InlineData(SetScore.Lac, true, true)]
    [InlineData(SetScore.Raps, true, false)]
    [InlineData(SetScore.TopK, false, true)]
    public void SaveLoad_RoundTrip_GivesIdenticalSets(SetScore score, bool randomized, bool conditional)
    {
        var options = new ConformalSetOptions { Score = score, Randomized = randomized, ClassConditional = conditional, Lambda = 0.3, KReg = 1, Seed = 5 };
        using var probabilities = Probabilities(400, 3, 13);
        using var labels = Sampled(probabilities, 14);
        using var test = Probabilities(100, 3, 15);
        var fitted = ConformalClassifier.Fit(probabilities, labels, options);
        var path = Path.Combine(directory, "sets.json");
        fitted.Save(path);
        var loaded = ConformalClassifier.Load(path);

        loaded.Options.Should().Be(options);
        loaded.Thresholds(0.1).Should().Equal(fitted.Thresholds(0.1));
        Sets(loaded, test).Should().Equal(Sets(fitted, test));
    }

    [Fact]
    public void Load_CorruptFile_ThrowsInvalidData()
    {
        var fitted = Fitted(new ConformalSetOptions());
        var path = Path.Combine(directory, "sets.json");
        fitted.Save(path);
        SavedFiles.ShouldRefuseCorruptions(fitted.Save, ConformalClassifier.Load, "ConformalClassifier");
        var text = SavedFiles.Fields(File.ReadAllBytes(path));
        SavedFiles.ShouldRefuseFields(text.Replace("\"classes\": 3", "\"classes\": 1", StringComparison.Ordinal), ConformalClassifier.Load, "ConformalClassifier", "*at least 2 classes*");
    }

    [Fact]
    public void CoverageCurve_IsPredictAtEachLevel()
    {
        var classifier = Fitted(new ConformalSetOptions { Score = SetScore.Aps });
        using var test = Probabilities(200, 3, 17);
        using var labels = Sampled(test, 18);
        var curve = classifier.CoverageCurve(test, labels, new[] { 0.3, 0.1 });
        curve.Should().HaveCount(2);
        using var sets = classifier.Predict(test, 0.1);
        curve[1].Should().Be(new CoveragePoint(0.1, sets.Coverage(labels), sets.MeanSize()));
        curve[0].MeanSize.Should().BeLessThanOrEqualTo(curve[1].MeanSize);
        FluentActions.Invoking(() => classifier.CoverageCurve(test, labels, Array.Empty<double>())).Should().Throw<ArgumentException>().WithParameterName("alphas");
    }

    [Fact]
    public void Predict_LeaksNoTensors()
    {
        var classifier = Fitted(new ConformalSetOptions { Score = SetScore.Raps, Randomized = true });
        using var test = Probabilities(50, 3, 16);
        var before = LiveTensors.Count;
        using (var sets = classifier.Predict(test, 0.1))
        {
            sets.Coverage(torch.zeros(50, ScalarType.Int64)).Should().BeInRange(0, 1);
        }

        LiveTensors.Count.Should().Be(before + 1, "only the caller's zeros tensor is live");
    }

    internal static Tensor Probabilities(long n, long classes, int seed)
    {
        using var generator = new torch.Generator((ulong)seed);
        using var logits = torch.randn(new[] { n, classes }, ScalarType.Float64, generator: generator).mul_(2.0);
        return logits.softmax(1);
    }

    internal static Tensor Quantised(long n, long classes, int seed)
    {
        using var generator = new torch.Generator((ulong)seed);
        using var logits = torch.randint(0, 3, new[] { n, classes }, generator: generator).to(ScalarType.Float64);
        return logits.softmax(1);
    }

    internal static Tensor Sampled(Tensor probabilities, int seed)
    {
        using var generator = new torch.Generator((ulong)seed);
        return probabilities.multinomial(1, generator: generator).squeeze(1);
    }

    private static ConformalClassifier Fitted(ConformalSetOptions options)
    {
        using var probabilities = Probabilities(100, 3, 1);
        using var labels = Sampled(probabilities, 2);
        return ConformalClassifier.Fit(probabilities, labels, options);
    }

    private static double[] Sets(ConformalClassifier classifier, Tensor test)
    {
        using var sets = classifier.Predict(test, 0.1);
        return Golden.ToArray(sets.Sets);
    }

    private static Tensor Labels(JsonElement element)
    {
        return torch.tensor(element.EnumerateArray().Select(e => e.GetInt64()).ToArray());
    }

    private static ConformalSetOptions Options(JsonElement golden)
    {
        return new ConformalSetOptions
        {
            Score = Enum.Parse<SetScore>(golden.GetProperty("score").GetString()!),
            Randomized = golden.GetProperty("randomized").GetBoolean(),
            ClassConditional = golden.GetProperty("classConditional").GetBoolean(),
            AllowEmptySets = golden.GetProperty("allowEmptySets").GetBoolean(),
            Lambda = Reference.GetProperty("lambda").GetDouble(),
            KReg = Reference.GetProperty("kReg").GetInt32(),
        };
    }
}
