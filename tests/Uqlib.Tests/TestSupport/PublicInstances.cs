using System;
using System.Collections.Generic;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Calibration;
using Uqlib.Combination;
using Uqlib.Ensembles;
using Uqlib.Evaluation;
using Uqlib.Latent;
using Uqlib.Models;
using Uqlib.Regression;
using Uqlib.Scores;
using static TorchSharp.torch;

namespace Uqlib.Tests.TestSupport;

/// <summary>
/// The registry the convention tests draw on: a factory for every public disposable type of the core package (a new one without a
/// factory fails <c>DisposableConventionTests</c>), and sample arguments of the package's own types for the null-argument tests.
/// </summary>
internal static class PublicInstances
{
    private static readonly long[] LabelValues = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2];

    /// <summary>Gets a factory for each public disposable type of the core package; each makes a working (fitted, where that applies) instance.</summary>
    public static IReadOnlyDictionary<Type, Func<object>> Disposables { get; } = new Dictionary<Type, Func<object>>
    {
        [typeof(ModelOutput)] = () => new ModelOutput(torch.zeros(4, 3), torch.zeros(4, 2)),
        [typeof(UncertaintyEstimate)] = () => new UncertaintyEstimate(torch.full(4, 3, 1.0 / 3), torch.zeros(4), torch.zeros(4, 2, 2)),
        [typeof(GaussianPrediction)] = () => GaussianPrediction.Create(torch.zeros(4), torch.ones(4)),
        [typeof(PredictionInterval)] = () =>
        {
            var conformal = SplitConformal.FitAbsolute(torch.zeros(12), torch.linspace(-1, 1, 12));
            using var mean = torch.zeros(4);
            return conformal.Predict(mean, 0.2);
        },
        [typeof(CandidateCache)] = () => CandidateCache.Build(Model(), [Training()], CandidatePool.Of(SubPolicy.Identity)),
        [typeof(TorchScriptModel)] = () => TorchScriptModel.Load(Golden.PathOf("tiny_cnn.pt"), OutputKind.MulticlassLogits),
        [typeof(FeatureStatistics)] = () => FeatureStatistics.Compute(Features(), Labels(), 3),
        [typeof(FeatureStatisticsAccumulator)] = () => new FeatureStatisticsAccumulator(3),
        [typeof(CovarianceEstimate)] = () => CovarianceEstimate.Fit(Features()),
        [typeof(MahalanobisDetector)] = () => MahalanobisDetector.Fit(Features(), Labels(), 3),
        [typeof(RelativeMahalanobisDetector)] = () => RelativeMahalanobisDetector.Fit(Features(), Labels(), 3),
        [typeof(KnnDetector)] = () => KnnDetector.Fit(Features(), new KnnOptions { K = 2 }),
        [typeof(KnnTopK)] = () =>
        {
            using var detector = KnnDetector.Fit(Features(), new KnnOptions { K = 2 });
            return KnnTopK.Compute(detector, Features());
        },
        [typeof(EnsembleSums)] = () =>
        {
            var sums = new EnsembleSums(EnsembleScore.MutualInformation);
            using var features = Features();
            using var probabilities = features.softmax(1);
            sums.Add(probabilities);
            return sums;
        },
        [typeof(Uqlib.Sharding.ScoreShard)] = () => Uqlib.Sharding.ScoreShard.Create(Scores(), 0),
        [typeof(VimDetector)] = () => VimDetector.Fit(Features(), Weight(), torch.zeros(3)),
        [typeof(VimAlphaAccumulator)] = () =>
        {
            using var statistics = FeatureStatistics.Compute(Features(), null, 1);
            var accumulator = VimAlphaAccumulator.FromStatistics(statistics, Weight(), torch.zeros(3));
            accumulator.Add(Features());
            return accumulator;
        },
        [typeof(FeatureMapDetector)] = () => FeatureMapDetector.FitKnn(torch.randn(new long[] { 2, 4, 3, 3 }, generator: torch.manual_seed(14)), new KnnOptions { K = 2 }),
        [typeof(FdbdDetector)] = () => FdbdDetector.Fit(Features(), Weight(), torch.zeros(3)),
        [typeof(NnGuideDetector)] = () => NnGuideDetector.Fit(Features(), Weight(), torch.zeros(3), new NnGuideOptions { K = 2 }),
        [typeof(MultiLayerMahalanobisDetector)] = () => MultiLayerMahalanobisDetector.Fit([Features(), Features().narrow(1, 0, 2)], Labels(), 3),
        [typeof(MahalanobisEstimator)] = () => Fitted(new MahalanobisEstimator(Model())),
        [typeof(MultiLayerMahalanobisEstimator)] = () => Fitted(new MultiLayerMahalanobisEstimator(LayeredModel(), LayerNames())),
        [typeof(RelativeMahalanobisEstimator)] = () => Fitted(new RelativeMahalanobisEstimator(Model())),
        [typeof(KnnEstimator)] = () => Fitted(new KnnEstimator(Model(), new KnnOptions { K = 2 })),
        [typeof(VimEstimator)] = () => Fitted(new VimEstimator(Model(), Weight())),
        [typeof(ReactEstimator)] = () => Fitted(new ReactEstimator(Model(), Weight())),
        [typeof(AshEstimator)] = () => new AshEstimator(Model(), Weight()),
        [typeof(DiceEstimator)] = () => Fitted(new DiceEstimator(Model(), Weight())),
        [typeof(GradNormEstimator)] = () => new GradNormEstimator(Model(), Weight()),
        [typeof(FdbdEstimator)] = () => Fitted(new FdbdEstimator(Model(), Weight())),
        [typeof(NnGuideEstimator)] = () => Fitted(new NnGuideEstimator(Model(), Weight(), null, new NnGuideOptions { K = 2 })),
        [typeof(ZeroShotClassifier)] = () => new ZeroShotClassifier(Model(), torch.randn(new long[] { 3, 2, 3 }, generator: torch.manual_seed(19))),
        [typeof(ReactDetector)] = () => ReactDetector.Fit(Features(), Weight(), torch.zeros(3)),
        [typeof(AshDetector)] = () => AshDetector.Create(Weight(), torch.zeros(3)),
        [typeof(DiceDetector)] = () => DiceDetector.Fit(Features(), Weight(), torch.zeros(3)),
        [typeof(GradNormDetector)] = () => GradNormDetector.Create(Weight(), torch.zeros(3)),
        [typeof(Uqlib.Scores.KlMatching)] = () => Uqlib.Scores.KlMatching.Fit(torch.full(4, 3, 1.0 / 3)),
        [typeof(Uqlib.Conformal.ConformalSets)] = () =>
        {
            using var calibration = torch.tensor(new double[,] { { 0.7, 0.2, 0.1 }, { 0.1, 0.8, 0.1 }, { 0.2, 0.2, 0.6 }, { 0.6, 0.3, 0.1 } });
            using var labels = torch.tensor(new long[] { 0, 1, 2, 1 });
            return Uqlib.Conformal.ConformalClassifier.Fit(calibration, labels).Predict(calibration, 0.25);
        },
    };

    /// <summary>Gets a factory for public types other than the disposable ones: instances to call methods on, and arguments.</summary>
    public static IReadOnlyDictionary<Type, Func<object>> Others { get; } = new Dictionary<Type, Func<object>>
    {
        [typeof(TemperatureScaling)] = () => TemperatureScaling.Fit(Logits(), Labels()),
        [typeof(VectorScaling)] = () => VectorScaling.Fit(Logits(), Labels()),
        [typeof(MatrixScaling)] = () => MatrixScaling.Fit(Logits(), Labels()),
        [typeof(IsotonicCalibration)] = () => IsotonicCalibration.Fit(Logits(), Labels()),
        [typeof(HistogramBinning)] = () => HistogramBinning.Fit(Logits(), Labels()),
        [typeof(PlattScaling)] = () => PlattScaling.Fit(torch.linspace(-2, 2, 12), torch.tensor(new long[] { 0, 0, 0, 1, 0, 0, 1, 1, 0, 1, 1, 1 })),
        [typeof(ICalibrator)] = () => TemperatureScaling.Fit(Logits(), Labels()),
        [typeof(Func<Tensor, Tensor, ICalibrator>)] = () => new Func<Tensor, Tensor, ICalibrator>(TemperatureScaling.Fit),
        [typeof(IReadOnlyList<ICalibrator>)] = () => new ICalibrator[] { TemperatureScaling.Fit(Logits(), Labels()), TemperatureScaling.Fit(Logits(), Labels()) },
        [typeof(SigmaScaling)] = () => SigmaScaling.Fit(torch.zeros(12), torch.ones(12), torch.linspace(-1, 1, 12)),
        [typeof(SplitConformal)] = () => SplitConformal.FitAbsolute(torch.zeros(12), torch.linspace(-1, 1, 12)),
        [typeof(IReadOnlyDictionary<string, Tensor>)] = () => new Dictionary<string, Tensor> { ["a"] = Scores(), ["b"] = Scores().flip(0) },
        [typeof(IReadOnlyDictionary<string, double>)] = () => new Dictionary<string, double> { ["a"] = 1.0, ["b"] = 2.0 },
        [typeof(ZScoreCombiner)] = () => ZScoreCombiner.Fit(new Dictionary<string, Tensor> { ["a"] = Scores(), ["b"] = Scores().flip(0) }),
        [typeof(RankCombiner)] = () => RankCombiner.Fit(new Dictionary<string, Tensor> { ["a"] = Scores(), ["b"] = Scores().flip(0) }),
        [typeof(LogisticCombiner)] = () => LogisticCombiner.Fit(
            new Dictionary<string, Tensor> { ["a"] = Scores(), ["b"] = Scores().flip(0) }, torch.tensor(new[] { true, false, true, false })),
        [typeof(IUncertaintyEstimator)] = () => new SoftmaxEstimator(Model()),
        [typeof(SoftmaxEstimator)] = () => new SoftmaxEstimator(Model()),
        [typeof(DeepEnsembleEstimator)] = () => new DeepEnsembleEstimator([Model(), Model()]),
        [typeof(IReadOnlyList<IModel>)] = () => new IModel[] { Model(), Model() },
        [typeof(TtaPolicy)] = () => new TtaPolicy([Augmentations.Identity, Augmentations.Flip()]),
        [typeof(TestTimeAugmentationEstimator)] = () => new TestTimeAugmentationEstimator(Model(), new TtaPolicy([Augmentations.Identity, Augmentations.Flip()])),
        [typeof(nn.Module<Tensor, Tensor>)] = () => nn.Sequential(nn.Flatten(), nn.Linear(36, 3)),
        [typeof(TorchSharp.Modules.Linear)] = () => nn.Linear(4, 3),
        [typeof(TorchModuleModel)] = () => new TorchModuleModel(nn.Sequential(nn.Flatten(), nn.Linear(36, 3)), OutputKind.MulticlassLogits),
        [typeof(Uqlib.Scores.OdinEstimator)] = () => new Uqlib.Scores.OdinEstimator(DropoutModel()),
        [typeof(McDropoutEstimator)] = () => new McDropoutEstimator(DropoutModel()),
        [typeof(Func<Tensor, Tensor>)] = () => new Func<Tensor, Tensor>(x => x.flatten(1).narrow(1, 0, 3)),
        [typeof(Func<Tensor, (Tensor, Tensor)>)] = () => new Func<Tensor, (Tensor, Tensor)>(x => (x.flatten(1).narrow(1, 0, 3), x.flatten(1).narrow(1, 0, 4))),
        [typeof(ConfidenceInterval)] = () => new ConfidenceInterval(0.4, 0.6, 0.95),
        [typeof(OodSet)] = () => new OodSet("far", OodShift.Far, new Dictionary<string, Tensor>()),
        [typeof(PolicyOperation)] = () => new PolicyOperation(AugmentationOperation.Identity, 0.5),
    };

    /// <summary>Gets twelve 1×6×6 images, seeded.</summary>
    public static Tensor Images() => torch.rand(new long[] { 12, 1, 6, 6 }, generator: torch.manual_seed(11));

    /// <summary>Gets the images' labels, four of each of three classes.</summary>
    public static Tensor Labels() => torch.tensor(LabelValues);

    /// <summary>Gets twelve seeded 4-dimensional features.</summary>
    public static Tensor Features() => torch.randn(new long[] { 12, 4 }, generator: torch.manual_seed(12));

    /// <summary>Gets a labelled batch of the twelve images.</summary>
    public static Batch Training() => new(Images(), Labels());

    /// <summary>Gets fit data with the labelled batch as both training and validation data.</summary>
    public static FitData Data() => new() { Training = [Training()], Validation = [Training()] };

    /// <summary>Gets a linear classifier of 1×6×6 images with three classes and 4-dimensional features.</summary>
    public static DelegateModel Model()
    {
        var features = torch.randn(new long[] { 36, 4 }, generator: torch.manual_seed(13));
        var weight = Weight();
        return new DelegateModel(x =>
        {
            var f = x.flatten(1).matmul(features);
            return (f.matmul(weight.t()), f);
        }, OutputKind.MulticlassLogits);
    }

    /// <summary>Gets a TorchSharp classifier of 1×6×6 images with three classes and a dropout layer (a white box).</summary>
    public static TorchModuleModel DropoutModel() =>
        new(nn.Sequential(nn.Flatten(), nn.Linear(36, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3)), OutputKind.MulticlassLogits);

    /// <summary>Gets a TorchSharp classifier of 1×6×6 images with three classes and named layers <c>flatten</c>, <c>fc</c>, <c>out</c> (a white box), seeded.</summary>
    public static TorchModuleModel LayeredModel()
    {
        var module = nn.Sequential(("flatten", nn.Flatten()), ("fc", nn.Linear(36, 4)), ("out", nn.Linear(4, 3)));
        using (torch.no_grad())
        {
            foreach (var (name, parameter) in module.named_parameters())
            {
                parameter.copy_(torch.randn(parameter.shape, generator: torch.manual_seed(name.Length + parameter.shape.Length)));
            }
        }

        return new TorchModuleModel(module, OutputKind.MulticlassLogits);
    }

    /// <summary>Gets the layers of <see cref="LayeredModel"/> the multi-layer estimators model.</summary>
    public static string[] LayerNames() => ["fc", "out"];

    /// <summary>
    /// A sample of one of the package's own types for a parameter, or <see langword="null"/> to let <see cref="PublicMembers"/> choose by type.
    /// </summary>
    public static object? Sample(Type type, string name)
    {
        if (type == typeof(IModel) || type == typeof(DelegateModel))
        {
            return Model();
        }

        if (type == typeof(IReadOnlyList<string>) && name == "layers")
        {
            return LayerNames();
        }

        if (type == typeof(IReadOnlyList<Tensor>) && name == "features")
        {
            return new[] { Features(), Features().narrow(1, 0, 2) };
        }

        if (type == typeof(FitData))
        {
            return Data();
        }

        if (type == typeof(Batch))
        {
            return Training();
        }

        if (type == typeof(IAugmentation))
        {
            return Augmentations.Identity;
        }

        if (type == typeof(CandidatePool))
        {
            return CandidatePool.Of(SubPolicy.Identity);
        }

        if (type == typeof(SubPolicy))
        {
            return SubPolicy.Identity;
        }

        if (type == typeof(Tensor) && name is "features" or "trainingFeatures")
        {
            return Features();
        }

        if (type == typeof(Tensor) && name is "scores" or "scoresA" or "scoresB" or "mean" or "targets" or "target" or "positiveProbabilities")
        {
            return torch.tensor(new float[] { 0.1f, 0.7f, 0.4f, 0.9f });
        }

        if (type == typeof(Tensor) && name is "classEmbeddings")
        {
            return torch.randn(new long[] { 3, 3 }, generator: torch.manual_seed(19));
        }

        if (type == typeof(Tensor) && name is "weight")
        {
            return Weight();
        }

        if (type == typeof(Tensor) && name is "bias")
        {
            return torch.zeros(3);
        }

        if (type == typeof(Tensor) && name is "variance")
        {
            return torch.ones(4);
        }

        if (type == typeof(Tensor) && name is "failures" or "validationFailures")
        {
            return torch.tensor(new[] { true, false, true, false });
        }

        if (type == typeof(Tensor) && name is "logits" or "output")
        {
            return Logits().narrow(0, 0, 4);
        }

        if (type == typeof(Tensor) && name is "predictedLabels" or "trueLabels")
        {
            return torch.randint(0, 3, new long[] { 4, 6, 6 }, generator: torch.manual_seed(18));
        }

        if (type == typeof(int) && name is "resamples")
        {
            return 100;
        }

        if (type == typeof(Tensor) && name is "map")
        {
            return torch.rand(new long[] { 4, 6, 6 }, generator: torch.manual_seed(15));
        }

        if (type == typeof(Tensor) && name.Contains("mask", StringComparison.OrdinalIgnoreCase))
        {
            return torch.rand(new long[] { 4, 6, 6 }, generator: torch.manual_seed(16)).gt(0.5);
        }

        if (type == typeof(Tensor) && name is "inputs" or "images")
        {
            return Images();
        }

        return Disposables.TryGetValue(type, out var factory) || Others.TryGetValue(type, out factory) ? factory() : null;
    }

    private static Tensor Logits() => torch.randn(new long[] { 12, 3 }, generator: torch.manual_seed(17));

    private static Tensor Scores() => torch.tensor(new float[] { 0.1f, 0.7f, 0.4f, 0.9f });

    private static Tensor Weight() => torch.randn(new long[] { 3, 4 }, generator: torch.manual_seed(14));

    private static T Fitted<T>(T estimator)
        where T : IUncertaintyEstimator
    {
        estimator.Fit(Data());
        return estimator;
    }
}
