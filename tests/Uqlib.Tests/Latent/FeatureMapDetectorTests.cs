using System;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

public sealed class FeatureMapDetectorTests
{
    private static readonly JsonElement Reference = Golden.Load("feature_map_ood.json");

    public static TheoryData<string> Maps => new() { "map2d", "map3d" };

    [Theory]
    [MemberData(nameof(Maps))]
    public void Score_Mahalanobis_MatchesTheNumPyReferenceAtEachLocationAndUpsampled(string map)
    {
        var golden = Reference.GetProperty(map);
        using var scope = torch.NewDisposeScope();
        var train = Nested(golden.GetProperty("train"));
        var test = Nested(golden.GetProperty("test"));
        using var detector = FeatureMapDetector.FitMahalanobis(train, CovarianceMethod.Empirical);

        var scores = detector.Score(test);
        var upsampled = detector.Score(test, OutputSize(golden));

        AssertClose(scores, Nested(golden.GetProperty("mahalanobis")), 1e-9);
        AssertClose(upsampled, Nested(golden.GetProperty("mahalanobisUpsampled")), 1e-9);
        detector.TrainingLocations.Should().Be(36);
        detector.Method.Should().Be(FeatureMapMethod.Mahalanobis);
    }

    [Theory]
    [MemberData(nameof(Maps))]
    public void Score_Knn_MatchesTheNumPyReferenceAtEachLocationAndUpsampled(string map)
    {
        var golden = Reference.GetProperty(map);
        using var scope = torch.NewDisposeScope();
        var train = Nested(golden.GetProperty("train"));
        var test = Nested(golden.GetProperty("test"));
        using var detector = FeatureMapDetector.FitKnn(train, new KnnOptions { K = golden.GetProperty("k").GetInt32() });

        var scores = detector.Score(test);
        var upsampled = detector.Score(test, OutputSize(golden));

        // The kNN detector computes in float32 (see KnnDetector); the reference is float64.
        AssertClose(scores, Nested(golden.GetProperty("knn")), 2e-5);
        AssertClose(upsampled, Nested(golden.GetProperty("knnUpsampled")), 2e-5);
        scores.shape.Should().Equal(test.shape.Where((_, i) => i != 1).ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(12)]
    [InlineData(100)]
    public void Score_AnyChunkSize_GivesTheSameMap(long chunk)
    {
        var golden = Reference.GetProperty("map2d");
        using var scope = torch.NewDisposeScope();
        var train = Nested(golden.GetProperty("train"));
        var test = Nested(golden.GetProperty("test"));
        using var whole = FeatureMapDetector.FitMahalanobis(train, CovarianceMethod.Empirical);
        using var chunked = FeatureMapDetector.FitMahalanobis(train, CovarianceMethod.Empirical, new FeatureMapOptions { ChunkLocations = chunk });

        AssertClose(chunked.Score(test, [7, 9]), whole.Score(test, [7, 9]), 1e-12);
    }

    [Fact]
    public void Score_Float32Maps_KeepFloat32AndTheInputsDevice()
    {
        using var scope = torch.NewDisposeScope();
        var train = torch.randn(new long[] { 4, 3, 5, 5 }, generator: torch.manual_seed(1)).to(ScalarType.Float32);
        using var detector = FeatureMapDetector.FitKnn(train, new KnnOptions { K = 2 });

        var map = detector.Score(train.narrow(0, 0, 2), [20, 20]);

        map.dtype.Should().Be(ScalarType.Float32);
        map.shape.Should().Equal(2, 20, 20);
        map.min().item<float>().Should().BeGreaterThanOrEqualTo(0);
    }

    [Fact]
    public void FitKnn_ManyLocations_KeepsAtMostMaxBankLocationsAndSaysSo()
    {
        using var scope = torch.NewDisposeScope();
        var train = torch.randn(new long[] { 3, 2, 6, 6 }, generator: torch.manual_seed(2));

        using var bounded = FeatureMapDetector.FitKnn(train, new KnnOptions { K = 2 }, new FeatureMapOptions { MaxBankLocations = 10 });
        using var smaller = FeatureMapDetector.FitKnn(train, new KnnOptions { K = 2, BankSize = 7 }, new FeatureMapOptions { MaxBankLocations = 10 });

        bounded.ToString().Should().Be("FeatureMapDetector(method=Knn, F=2, k=2, bank=10, locations=108)");
        smaller.ToString().Should().Contain("bank=7,");
        FeatureMapDetector.FitMahalanobis(train, CovarianceMethod.Empirical).ToString()
            .Should().Be("FeatureMapDetector(method=Mahalanobis, F=2, covariance=Empirical, locations=108)");
    }

    [Theory]
    [MemberData(nameof(Maps))]
    public void SaveThenLoad_EitherMethod_GivesIdenticalMapsAndSummary(string map)
    {
        var golden = Reference.GetProperty(map);
        using var scope = torch.NewDisposeScope();
        var train = Nested(golden.GetProperty("train"));
        var test = Nested(golden.GetProperty("test")).to(ScalarType.Float32);
        var options = new FeatureMapOptions { ChunkLocations = 5 };
        using var mahalanobis = FeatureMapDetector.FitMahalanobis(train, CovarianceMethod.LedoitWolf, options);
        using var knn = FeatureMapDetector.FitKnn(train, new KnnOptions { K = 3, BankSize = 20, Seed = 4 }, options);

        foreach (var detector in new[] { mahalanobis, knn })
        {
            using var loaded = SavedFiles.RoundTrip(detector.Save, FeatureMapDetector.Load);

            loaded.ToString().Should().Be(detector.ToString());
            loaded.Method.Should().Be(detector.Method);
            loaded.TrainingLocations.Should().Be(detector.TrainingLocations);
            var before = detector.Score(test, OutputSize(golden));
            var after = loaded.Score(test, OutputSize(golden));
            after.dtype.Should().Be(ScalarType.Float32);
            Golden.ToArray(after.flatten()).Should().Equal(Golden.ToArray(before.flatten()), "the loaded {0} detector scores bit for bit as the original", detector.Method);
        }
    }

    [Fact]
    public void Load_OtherKindOrOutOfRangeFields_IsRefused()
    {
        using var train = torch.randn(new long[] { 2, 3, 4, 4 }, generator: torch.manual_seed(5));
        using var detector = FeatureMapDetector.FitKnn(train, new KnnOptions { K = 2 });
        var directory = System.IO.Directory.CreateTempSubdirectory("uqlib-feature-map-").FullName;
        try
        {
            var path = System.IO.Path.Combine(directory, "map.uqlib");
            detector.Save(path);

            FluentActions.Invoking(() => MahalanobisDetector.Load(path)).Should().Throw<System.IO.InvalidDataException>().WithMessage("*not a valid MahalanobisDetector file*");
            SavedFiles.ShouldRefuseFields(
                "{\"method\": \"Knn\", \"chunkLocations\": 0, \"trainingLocations\": 32, \"detector\": {}}", FeatureMapDetector.Load, "FeatureMapDetector",
                "*chunkLocations = 0 and trainingLocations = 32 are out of range*");
            SavedFiles.ShouldRefuseFields(
                "{\"method\": \"Euclid\", \"chunkLocations\": 1, \"trainingLocations\": 32, \"detector\": {}}", FeatureMapDetector.Load, "FeatureMapDetector",
                "*not a FeatureMapMethod*");
        }
        finally
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Score_OutOfDistributionRegion_ScoresHigherThanTheRest()
    {
        // Training maps N(0, 1); a test map whose top-left 4 x 4 corner is shifted by 6: the upsampled map is highest there.
        using var scope = torch.NewDisposeScope();
        var train = torch.randn(new long[] { 8, 4, 8, 8 }, ScalarType.Float64, generator: torch.manual_seed(3));
        var test = torch.randn(new long[] { 1, 4, 8, 8 }, ScalarType.Float64, generator: torch.manual_seed(4));
        test[.., .., ..4, ..4].add_(6.0);
        using var detector = FeatureMapDetector.FitMahalanobis(train);

        var map = detector.Score(test, [32, 32]);

        map[0, ..12, ..12].min().item<double>().Should().BeGreaterThan(map[0, 20.., 20..].max().item<double>());
    }

    [Fact]
    public void ScoreAndFit_BadInput_NameTheArgument()
    {
        using var scope = torch.NewDisposeScope();
        var train = torch.randn(2, 3, 4, 4);
        using var detector = FeatureMapDetector.FitMahalanobis(train);
        var nan = train.clone();
        nan[0, 0, 0, 0] = torch.tensor(double.NaN);

        FluentActions.Invoking(() => FeatureMapDetector.FitMahalanobis(torch.randn(4, 3))).Should().Throw<ArgumentException>().WithParameterName("featureMaps");
        FluentActions.Invoking(() => FeatureMapDetector.FitKnn(torch.ones(new long[] { 2, 3, 4, 4 }, ScalarType.Int64))).Should().Throw<ArgumentException>().WithMessage("*floating point*");
        FluentActions.Invoking(() => detector.Score(torch.randn(2, 5, 4, 4))).Should().Throw<ArgumentException>().WithMessage("*3 channels*").WithParameterName("featureMaps");
        FluentActions.Invoking(() => detector.Score(nan)).Should().Throw<ArgumentException>().WithParameterName("featureMaps");
        FluentActions.Invoking(() => detector.Score(train, [8, 8, 8])).Should().Throw<ArgumentException>().WithParameterName("outputSize");
        FluentActions.Invoking(() => detector.Score(train, [0, 8])).Should().Throw<ArgumentException>().WithParameterName("outputSize");
        FluentActions.Invoking(() => FeatureMapDetector.FitKnn(train, null, new FeatureMapOptions { MaxBankLocations = 0 })).Should().Throw<ArgumentException>().WithMessage("*MaxBankLocations*");
    }

    [Fact]
    public void Score_AfterDispose_Throws()
    {
        using var scope = torch.NewDisposeScope();
        var train = torch.randn(2, 3, 4, 4);
        var detector = FeatureMapDetector.FitKnn(train, new KnnOptions { K = 2 });
        detector.Dispose();

        FluentActions.Invoking(() => detector.Score(train)).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => detector.Save("unused.uqlib")).Should().Throw<ObjectDisposedException>();
        detector.ToString().Should().Be("FeatureMapDetector(disposed)");
    }

    [Fact]
    public void Score_LeavesNoLiveTensorsBehind()
    {
        using var train = torch.randn(3, 3, 5, 5);
        using var detector = FeatureMapDetector.FitKnn(train, new KnnOptions { K = 2 }, new FeatureMapOptions { ChunkLocations = 7 });
        var before = LiveTensors.Count;

        detector.Score(train, [9, 9]).Dispose();

        LiveTensors.Count.Should().Be(before);
    }

    private static long[] OutputSize(JsonElement golden) => golden.GetProperty("outputSize").EnumerateArray().Select(e => e.GetInt64()).ToArray();

    private static void AssertClose(Tensor actual, Tensor expected, double tolerance)
    {
        actual.shape.Should().Equal(expected.shape);
        var difference = (actual.to(ScalarType.Float64) - expected.to(ScalarType.Float64)).abs().max().item<double>();
        difference.Should().BeLessThan(tolerance * Math.Max(1, expected.abs().max().item<double>()));
    }

    /// <summary>A nested JSON array of numbers as a float64 tensor of its shape.</summary>
    private static Tensor Nested(JsonElement element)
    {
        var shape = new System.Collections.Generic.List<long>();
        for (var e = element; e.ValueKind == JsonValueKind.Array; e = e[0])
        {
            shape.Add(e.GetArrayLength());
        }

        var values = new System.Collections.Generic.List<double>();
        void Walk(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in e.EnumerateArray())
                {
                    Walk(item);
                }
            }
            else
            {
                values.Add(e.GetDouble());
            }
        }

        Walk(element);
        return torch.tensor(values.ToArray(), dtype: ScalarType.Float64).reshape(shape.ToArray());
    }
}
