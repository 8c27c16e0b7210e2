using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using FluentAssertions;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Calibration;
using Uqlib.Combination;
using Uqlib.Conformal;
using Uqlib.Latent;
using Uqlib.Models;
using Uqlib.Regression;
using Uqlib.Tests.Augmentation;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Persistence;

/// <summary>
/// The convention every public type with a <c>Save(string)</c>/<c>Load(string)</c> pair keeps, checked by reflection (as NodaTime's
/// MutabilityTest does): a small fit saved and loaded scores bit for bit as the original, a re-save of the loaded value writes the
/// same bytes, and the corruption battery is refused in the one message form. A new type with Save/Load fails
/// <see cref="EveryPublicTypeWithSaveAndLoad_HasACase"/> until it is given a small fit here, and then inherits every check.
/// </summary>
public sealed class SaveLoadConventionTests
{
    private static readonly Lazy<GreedyPolicySearchResult> Searched = new(() =>
    {
        var (cache, labels) = SyntheticCache.Create();
        using (cache)
        using (labels)
        {
            return GreedyPolicySearch.Search(cache, labels, new GreedyPolicySearchOptions { Steps = 4 });
        }
    });

    private static readonly Dictionary<Type, Case> Cases = new()
    {
        [typeof(TemperatureScaling)] = Calibrator(TemperatureScaling.Fit),
        [typeof(VectorScaling)] = Calibrator(VectorScaling.Fit),
        [typeof(MatrixScaling)] = Calibrator(MatrixScaling.Fit),
        [typeof(PlattScaling)] = Calibrator(PlattScaling.Fit, classes: 2),
        [typeof(IsotonicCalibration)] = Calibrator(IsotonicCalibration.Fit),
        [typeof(HistogramBinning)] = Calibrator(HistogramBinning.Fit),
        [typeof(ZScoreCombiner)] = Combiner(scores => ZScoreCombiner.Fit(scores)),
        [typeof(RankCombiner)] = Combiner(scores => RankCombiner.Fit(scores)),
        [typeof(LogisticCombiner)] = Combiner(scores =>
        {
            using var failures = scores["a"].gt(scores["a"].median());
            return LogisticCombiner.Fit(scores, failures);
        }),
        [typeof(KnnDetector)] = Detector(features => KnnDetector.Fit(features, new KnnOptions { K = 3 }), (d, q) => ((KnnDetector)d).Score(q)),
        [typeof(MahalanobisDetector)] = Detector(
            features => MahalanobisDetector.Fit(features, Labels(features), 3), (d, q) => ((MahalanobisDetector)d).Score(q)),
        [typeof(MultiLayerMahalanobisDetector)] = Detector(
            features =>
            {
                using var narrow = features.narrow(1, 0, 3);
                return MultiLayerMahalanobisDetector.Fit([features, narrow], Labels(features), 3);
            },
            (d, q) => ((MultiLayerMahalanobisDetector)d).Score([q, q.narrow(1, 0, 3)])),
        [typeof(RelativeMahalanobisDetector)] = Detector(
            features => RelativeMahalanobisDetector.Fit(features, Labels(features), 3), (d, q) => ((RelativeMahalanobisDetector)d).Score(q)),
        [typeof(VimDetector)] = Detector(features =>
        {
            using var generator = new Generator(5);
            using var weight = torch.randn(new long[] { 3, 6 }, generator: generator);
            return VimDetector.Fit(features, weight, null, new VimOptions { PrincipalDimension = 2 });
        }, (d, q) => ((VimDetector)d).Score(q)),
        [typeof(FdbdDetector)] = Detector(features =>
        {
            using var generator = new Generator(5);
            using var weight = torch.randn(new long[] { 3, 6 }, generator: generator);
            return FdbdDetector.Fit(features, weight);
        }, (d, q) => ((FdbdDetector)d).Score(q)),
        [typeof(NnGuideDetector)] = Detector(features =>
        {
            using var generator = new Generator(5);
            using var weight = torch.randn(new long[] { 3, 6 }, generator: generator);
            return NnGuideDetector.Fit(features, weight, null, new NnGuideOptions { K = 3 });
        }, (d, q) => ((NnGuideDetector)d).Score(q)),
        [typeof(ReactDetector)] = Detector(features =>
        {
            using var generator = new Generator(5);
            using var weight = torch.randn(new long[] { 3, 6 }, generator: generator);
            return ReactDetector.Fit(features, weight);
        }, (d, q) => ((ReactDetector)d).Score(q)),
        [typeof(DiceDetector)] = Detector(features =>
        {
            using var generator = new Generator(5);
            using var weight = torch.randn(new long[] { 3, 6 }, generator: generator);
            return DiceDetector.Fit(features, weight);
        }, (d, q) => ((DiceDetector)d).Score(q)),
        [typeof(FeatureMapDetector)] = new(() =>
        {
            using var generator = new Generator(1);
            using var maps = torch.randn(new long[] { 3, 6, 4, 4 }, generator: generator);
            return FeatureMapDetector.FitKnn(maps, new KnnOptions { K = 3 }, new FeatureMapOptions { ChunkLocations = 7 });
        }, value =>
        {
            using var scope = torch.NewDisposeScope();
            using var generator = new Generator(2);
            return Golden.ToArray(((FeatureMapDetector)value).Score(torch.randn(new long[] { 2, 6, 4, 4 }, generator: generator), [9, 9]).flatten());
        }),
        [typeof(KnnEstimator)] = Estimator(model => new KnnEstimator(model, new KnnOptions { K = 3 })),
        [typeof(MahalanobisEstimator)] = Estimator(model => new MahalanobisEstimator(model)),
        [typeof(MultiLayerMahalanobisEstimator)] = Estimator(
            model => new MultiLayerMahalanobisEstimator(model, ["features", "head"]),
            new TorchModuleModel(nn.Sequential(("features", nn.Identity()), ("head", nn.Linear(6, 3))), OutputKind.MulticlassLogits)),
        [typeof(RelativeMahalanobisEstimator)] = Estimator(model => new RelativeMahalanobisEstimator(model)),
        [typeof(VimEstimator)] = Estimator(model =>
        {
            using var generator = new Generator(5);
            using var weight = torch.randn(new long[] { 3, 6 }, generator: generator);
            return new VimEstimator(model, weight, null, new VimOptions { PrincipalDimension = 2 });
        }),
        [typeof(ReactEstimator)] = Estimator(model =>
        {
            using var generator = new Generator(5);
            using var weight = torch.randn(new long[] { 3, 6 }, generator: generator);
            return new ReactEstimator(model, weight);
        }),
        [typeof(DiceEstimator)] = Estimator(model =>
        {
            using var generator = new Generator(5);
            using var weight = torch.randn(new long[] { 3, 6 }, generator: generator);
            return new DiceEstimator(model, weight);
        }),
        [typeof(FdbdEstimator)] = Estimator(model =>
        {
            using var generator = new Generator(5);
            using var weight = torch.randn(new long[] { 3, 6 }, generator: generator);
            return new FdbdEstimator(model, weight);
        }),
        [typeof(NnGuideEstimator)] = Estimator(model =>
        {
            using var generator = new Generator(5);
            using var weight = torch.randn(new long[] { 3, 6 }, generator: generator);
            return new NnGuideEstimator(model, weight, null, new NnGuideOptions { K = 3 });
        }),
        [typeof(SigmaScaling)] = new(() =>
        {
            using var scope = torch.NewDisposeScope();
            var (mean, variance, targets) = Regression(1);
            return SigmaScaling.Fit(mean, variance, targets);
        }, value =>
        {
            using var scope = torch.NewDisposeScope();
            var (_, variance, _) = Regression(2);
            return Golden.ToArray(((SigmaScaling)value).Calibrate(variance));
        }),
        [typeof(SplitConformal)] = new(() =>
        {
            using var scope = torch.NewDisposeScope();
            var (mean, variance, targets) = Regression(1);
            return SplitConformal.FitNormalized(mean, variance, targets);
        }, value =>
        {
            using var scope = torch.NewDisposeScope();
            var (mean, variance, _) = Regression(2);
            using var interval = ((SplitConformal)value).Predict(mean, variance, 0.1);
            return [.. Golden.ToArray(interval.Lower), .. Golden.ToArray(interval.Upper)];
        }),
        [typeof(ConformalClassifier)] = new(() =>
        {
            using var probabilities = Tests.Conformal.ConformalClassifierTests.Probabilities(60, 3, 1);
            using var labels = Tests.Conformal.ConformalClassifierTests.Sampled(probabilities, 2);
            return ConformalClassifier.Fit(probabilities, labels, new ConformalSetOptions { Score = SetScore.Raps, Randomized = true, ClassConditional = true });
        }, value =>
        {
            using var test = Tests.Conformal.ConformalClassifierTests.Probabilities(20, 3, 3);
            using var sets = ((ConformalClassifier)value).Predict(test, 0.2);
            return Golden.ToArray(sets.Sets);
        }),
        [typeof(ConformalRiskControl)] = new(() =>
        {
            using var generator = new Generator(6);
            using var maps = torch.rand(new long[] { 10, 4, 4 }, generator: generator);
            using var masks = maps.gt(0.5);
            return ConformalRiskControl.Fit(maps, masks);
        }, value => [((ConformalRiskControl)value).Threshold(0.2), ((ConformalRiskControl)value).Threshold(0.5)]),
        [typeof(ConformalizedQuantileRegression)] = new(() =>
        {
            using var scope = torch.NewDisposeScope();
            var (mean, variance, targets) = Regression(1);
            return ConformalizedQuantileRegression.Fit(mean.sub(variance), mean.add(variance), targets);
        }, value => [((ConformalizedQuantileRegression)value).Margin(0.1), ((ConformalizedQuantileRegression)value).Margin(0.3)]),
        [typeof(GreedyPolicySearchResult)] = new(() => Searched.Value, value =>
        {
            var result = (GreedyPolicySearchResult)value;
            return [result.Temperature, result.CandidateCount, .. result.SelectedCandidates.Select(c => (double)c), .. result.Steps.Select(s => s.CalibratedLogLikelihood)];
        }),
        [typeof(TtaPolicy)] = new(() => TtaPolicy.FromSearch(Searched.Value, CandidatePool.Medical(29, 2, seed: 4)), value =>
        {
            var policy = (TtaPolicy)value;
            using var scope = torch.NewDisposeScope();
            using var generator = new Generator(9);
            var image = torch.rand(new long[] { 2, 1, 16, 16 }, generator: generator);
            return [policy.Temperature!.Value, .. policy.Augmentations.SelectMany(a => Golden.ToArray(a.Apply(image).flatten()))];
        }),
        [typeof(FeatureStatisticsAccumulator)] = new(() =>
        {
            using var features = Features(1, 60);
            using var labels = Labels(features);
            var accumulator = new FeatureStatisticsAccumulator(3);
            accumulator.Add(features, labels);
            return accumulator;
        }, value =>
        {
            using var statistics = ((FeatureStatisticsAccumulator)value).ToStatistics();
            return [.. Golden.ToArray(statistics.ClassMeans), .. Golden.ToArray(statistics.WithinScatter), statistics.TotalFourthMoment];
        }),
        [typeof(VimAlphaAccumulator)] = new(() =>
        {
            using var features = Features(1, 60);
            using var statistics = FeatureStatistics.Compute(features, null, 1);
            using var generator = new Generator(5);
            using var weight = torch.randn(new long[] { 3, 6 }, generator: generator);
            var accumulator = VimAlphaAccumulator.FromStatistics(statistics, weight, null, new VimOptions { PrincipalDimension = 2 });
            accumulator.Add(features);
            return accumulator;
        }, value =>
        {
            using var detector = ((VimAlphaAccumulator)value).ToDetector();
            using var queries = Features(2, 10);
            using var scores = detector.Score(queries);
            return [detector.Alpha, .. Golden.ToArray(scores)];
        }),
        [typeof(KnnTopK)] = new(() =>
        {
            using var features = Features(1, 60);
            using var detector = KnnDetector.Fit(features, new KnnOptions { K = 3 });
            using var queries = Features(2, 10);
            return KnnTopK.Compute(detector, queries, 100);
        }, value =>
        {
            using var scores = ((KnnTopK)value).Scores();
            using var indices = ((KnnTopK)value).Indices;
            return [.. Golden.ToArray(scores), .. Golden.ToArray(indices)];
        }),
        [typeof(Uqlib.Sharding.ScoreShard)] = new(() =>
        {
            using var features = Features(1, 20);
            return Uqlib.Sharding.ScoreShard.Create(features, 40);
        }, value =>
        {
            using var values = ((Uqlib.Sharding.ScoreShard)value).Values;
            using var cases = ((Uqlib.Sharding.ScoreShard)value).CaseIndices;
            return [.. Golden.ToArray(values), .. Golden.ToArray(cases)];
        }),
        [typeof(Uqlib.Ensembles.EnsembleSums)] = new(() =>
        {
            var sums = new Uqlib.Ensembles.EnsembleSums(Uqlib.Ensembles.EnsembleScore.ExpectedPairwiseKL);
            for (var member = 0; member < 3; member++)
            {
                using var features = Features(member + 1, 20);
                using var probabilities = features.softmax(1);
                sums.Add(probabilities);
            }

            return sums;
        }, value =>
        {
            using var mean = ((Uqlib.Ensembles.EnsembleSums)value).Mean();
            using var scores = ((Uqlib.Ensembles.EnsembleSums)value).Compute();
            return [.. Golden.ToArray(mean), .. Golden.ToArray(scores)];
        }),
        [typeof(CandidateCache)] = new(() =>
        {
            var model = PublicInstances.Model();
            using var images = PublicInstances.Images();
            using var labels = PublicInstances.Labels();
            return CandidateCache.Build(model, [new Batch(images, labels)], CandidatePool.Medical(4, seed: 1));
        }, value => [.. Golden.ToArray(((CandidateCache)value).LogProbabilities), .. Golden.ToArray(((CandidateCache)value).Labels)]),
    };

    public static TheoryData<string> Types => new(Cases.Keys.Select(t => t.FullName!).Order());

    [Fact]
    public void EveryPublicTypeWithSaveAndLoad_HasACase()
    {
        var saved = typeof(IUncertaintyEstimator).Assembly.GetExportedTypes()
            .Where(t => t.GetMethod("Save", BindingFlags.Public | BindingFlags.Instance, [typeof(string)]) is not null
                        && t.GetMethod("Load", BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static, [typeof(string)]) is not null)
            .ToArray();
        saved.Should().NotBeEmpty();
        saved.Should().BeEquivalentTo(Cases.Keys, "every public type with Save/Load gets the round-trip and corruption checks");
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void SaveThenLoad_ScoresBitForBit_AndReSavesTheSameBytes(string typeName)
    {
        var (type, @case) = Find(typeName);
        var directory = Directory.CreateTempSubdirectory("uqlib-convention-").FullName;
        var fitted = @case.Fit();
        object? loaded = null;
        try
        {
            var first = Path.Combine(directory, "first.uqlib");
            var second = Path.Combine(directory, "second.uqlib");
            Save(fitted, first);
            loaded = Load(type, @case, first);
            loaded.Should().BeOfType(type);
            Save(loaded, second);

            var before = @case.Score(fitted);
            var after = @case.Score(loaded);
            before.Should().NotBeEmpty();
            after.Select(BitConverter.DoubleToInt64Bits).Should().Equal(before.Select(BitConverter.DoubleToInt64Bits));
            File.ReadAllBytes(second).Should().Equal(File.ReadAllBytes(first));
            Directory.GetFiles(directory).Should().BeEquivalentTo([first, second], "no temporary file is left behind");
        }
        finally
        {
            (fitted as IDisposable)?.Dispose();
            (loaded as IDisposable)?.Dispose();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Load_DamagedFile_IsRefusedInTheOneMessageForm(string typeName)
    {
        var (type, @case) = Find(typeName);
        var fitted = @case.Fit();
        try
        {
            var kind = type.Name.EndsWith("Estimator", StringComparison.Ordinal) ? type.Name.Replace("Estimator", "Detector", StringComparison.Ordinal) : type.Name;
            SavedFiles.ShouldRefuseCorruptions(path => Save(fitted, path), path =>
            {
                var value = Load(type, @case, path);
                (value as IDisposable)?.Dispose();
                return null;
            }, kind);
        }
        finally
        {
            (fitted as IDisposable)?.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void FittedValue_HandsOutListsThatCannotBeCastBackAndEdited(string typeName)
    {
        var (type, @case) = Find(typeName);
        var fitted = @case.Fit();
        try
        {
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                         .Where(p => p.PropertyType.IsGenericType && p.PropertyType.GetGenericTypeDefinition() == typeof(IReadOnlyList<>)))
            {
                property.GetValue(fitted).Should().NotBeAssignableTo<Array>($"{type.Name}.{property.Name} must not hand out its own array");
            }
        }
        finally
        {
            (fitted as IDisposable)?.Dispose();
        }
    }

    private static (Type Type, Case Case) Find(string name)
    {
        var pair = Cases.Single(c => c.Key.FullName == name);
        return (pair.Key, pair.Value);
    }

    private static void Save(object value, string path)
    {
        Invoke(() => value.GetType().GetMethod("Save", [typeof(string)])!.Invoke(value, [path]));
    }

    private static object Load(Type type, Case @case, string path)
    {
        var load = type.GetMethod("Load", BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static, [typeof(string)])!;
        if (load.IsStatic)
        {
            return Invoke(() => load.Invoke(null, [path]))!;
        }

        var fresh = @case.Unfitted!();
        try
        {
            Invoke(() => load.Invoke(fresh, [path]));
            return fresh;
        }
        catch
        {
            (fresh as IDisposable)?.Dispose();
            throw;
        }
    }

    private static object? Invoke(Func<object?> call)
    {
        try
        {
            return call();
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    private static Case Calibrator(Func<Tensor, Tensor, ICalibrator> fit, int classes = 4)
    {
        return new(() =>
        {
            using var scope = torch.NewDisposeScope();
            using var generator = new Generator(1);
            var logits = torch.randn(new long[] { 200, classes }, generator: generator).mul_(3);
            return fit(logits, logits.argmax(1).remainder_(classes));
        }, value =>
        {
            using var scope = torch.NewDisposeScope();
            using var generator = new Generator(2);
            return Golden.ToArray(((ICalibrator)value).Transform(torch.randn(new long[] { 50, classes }, generator: generator).mul_(3)));
        });
    }

    private static Case Combiner(Func<Dictionary<string, Tensor>, ICombiner> fit)
    {
        return new(() =>
        {
            using var scope = torch.NewDisposeScope();
            return fit(Scores(1));
        }, value =>
        {
            using var scope = torch.NewDisposeScope();
            return Golden.ToArray(((ICombiner)value).Combine(Scores(2)));
        });
    }

    private static Case Detector(Func<Tensor, object> fit, Func<object, Tensor, Tensor> score)
    {
        return new(() =>
        {
            using var features = Features(1, 60);
            return fit(features);
        }, value =>
        {
            using var scope = torch.NewDisposeScope();
            return Golden.ToArray(score(value, Features(2, 20)));
        });
    }

    private static Case Estimator(Func<IModel, IUncertaintyEstimator> create, IModel? network = null)
    {
        var model = network ?? new DelegateModel(x => (x.narrow(1, 0, 3).clone(), x.clone()), OutputKind.MulticlassLogits);
        return new(() =>
        {
            var estimator = create(model);
            using var features = Features(1, 60);
            using var labels = Labels(features);
            estimator.Fit(new FitData { Training = [new Batch(features, labels)] });
            return estimator;
        }, value =>
        {
            using var scope = torch.NewDisposeScope();
            using var estimate = ((IUncertaintyEstimator)value).Estimate(Features(2, 20));
            return Golden.ToArray(estimate.Scores);
        }, () => create(model));
    }

    private static Tensor Features(int seed, int rows)
    {
        using var generator = new Generator((ulong)seed);
        return torch.randn(new long[] { rows, 6 }, generator: generator);
    }

    private static Tensor Labels(Tensor features)
    {
        return torch.arange(features.shape[0], dtype: ScalarType.Int64).remainder_(3);
    }

    private static Dictionary<string, Tensor> Scores(int seed)
    {
        var generator = new Generator((ulong)seed);
        return new() { ["a"] = torch.randn(100, generator: generator), ["b"] = torch.rand(100, generator: generator) };
    }

    private static (Tensor Mean, Tensor Variance, Tensor Targets) Regression(int seed)
    {
        var generator = new Generator((ulong)seed);
        var mean = torch.randn(new long[] { 80 }, dtype: ScalarType.Float64, generator: generator);
        var variance = torch.rand(new long[] { 80 }, dtype: ScalarType.Float64, generator: generator).add_(0.1);
        var targets = mean.add(torch.randn(new long[] { 80 }, dtype: ScalarType.Float64, generator: generator).mul_(variance.sqrt()));
        return (mean, variance, targets);
    }

    /// <summary>How to fit a small value of one type, how to score it, and (for estimators loaded in place) how to make an unfitted one.</summary>
    private sealed record Case(Func<object> Fit, Func<object, double[]> Score, Func<object>? Unfitted = null);
}
