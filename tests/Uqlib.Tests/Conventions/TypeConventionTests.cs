using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Calibration;
using Uqlib.Ensembles;
using Uqlib.Latent;
using Uqlib.Scores;
using Uqlib.Tests.TestSupport;
using Xunit;

namespace Uqlib.Tests.Conventions;

/// <summary>
/// Conventions of every public type of the core package, kept by the build (NodaTime's MutabilityTest): public classes are sealed, and every
/// <see cref="IUncertaintyEstimator"/> that needs fitting refuses <c>Estimate</c> before <c>Fit</c> with an <see cref="InvalidOperationException"/> naming <c>Fit</c>.
/// </summary>
public sealed class TypeConventionTests
{
    /// <summary>The public classes designed for inheritance, each with its reason. None today.</summary>
    private static readonly Dictionary<Type, string> DesignedForInheritance = [];

    /// <summary>Unfitted configurations of every public estimator: each constructor that changes what <c>Fit</c> must do.</summary>
    private static readonly Dictionary<string, Func<IUncertaintyEstimator>> Unfitted = new()
    {
        ["Softmax"] = () => new SoftmaxEstimator(PublicInstances.Model()),
        ["Softmax, calibrated"] = () => new SoftmaxEstimator(PublicInstances.Model(), Uqlib.Scores.SoftmaxScore.OneMinusMaxProbability, TemperatureScaling.Fit),
        ["Deep ensemble"] = () => new DeepEnsembleEstimator([PublicInstances.Model(), PublicInstances.Model()]),
        ["Deep ensemble, calibrated"] = () => new DeepEnsembleEstimator([PublicInstances.Model(), PublicInstances.Model()], EnsembleScore.MutualInformation, TemperatureScaling.Fit),
        ["TTA"] = () => new TestTimeAugmentationEstimator(PublicInstances.Model(), TtaPolicy.Flips()),
        ["TTA, calibrated"] = () => new TestTimeAugmentationEstimator(PublicInstances.Model(), TtaPolicy.Flips(), EnsembleScore.MutualInformation, TemperatureScaling.Fit),
        ["Mahalanobis"] = () => new MahalanobisEstimator(PublicInstances.Model()),
        ["Relative Mahalanobis"] = () => new RelativeMahalanobisEstimator(PublicInstances.Model()),
        ["Multi-layer Mahalanobis"] = () => new MultiLayerMahalanobisEstimator(PublicInstances.LayeredModel(), PublicInstances.LayerNames()),
        ["kNN"] = () => new KnnEstimator(PublicInstances.Model()),
        ["ViM"] = () => new VimEstimator(PublicInstances.Model(), torch.ones(3, 4)),
        ["ReAct"] = () => new ReactEstimator(PublicInstances.Model(), torch.ones(3, 4)),
        ["ASH"] = () => new AshEstimator(PublicInstances.Model(), torch.ones(3, 4)),
        ["DICE"] = () => new DiceEstimator(PublicInstances.Model(), torch.ones(3, 4)),
        ["GradNorm"] = () => new GradNormEstimator(PublicInstances.Model(), torch.ones(3, 4)),
        ["fDBD"] = () => new FdbdEstimator(PublicInstances.Model(), torch.ones(3, 4)),
        ["NNGuide"] = () => new NnGuideEstimator(PublicInstances.Model(), torch.ones(3, 4)),
        ["ODIN"] = () => new Uqlib.Scores.OdinEstimator(PublicInstances.DropoutModel()),
        ["MC dropout"] = () => new McDropoutEstimator(PublicInstances.DropoutModel()),
        ["Conformal sets"] = () => new Uqlib.Conformal.ConformalEstimator(PublicInstances.Model(), 0.1),
    };

    public static TheoryData<string> Estimators => new(Unfitted.Keys);

    [Fact]
    public void PublicClasses_AreSealed()
    {
        TypeConventions.UnsealedClasses(typeof(IModel).Assembly, DesignedForInheritance).Should().BeEmpty();
    }

    [Fact]
    public void FittedTypes_OverrideToString()
    {
        var fitted = TypeConventions.FittedTypes(typeof(IModel).Assembly);

        fitted.Should().Contain([typeof(TemperatureScaling), typeof(KnnDetector), typeof(TtaPolicy), typeof(Uqlib.Combination.ZScoreCombiner)]);
        TypeConventions.FittedTypesWithoutToString(typeof(IModel).Assembly).Should().BeEmpty("every fitted value describes itself like scikit-learn's repr");
    }

    [Fact]
    public void UnfittedRegistry_CoversEveryPublicEstimator()
    {
        var estimators = typeof(IModel).Assembly.GetExportedTypes().Where(t => t.IsClass && typeof(IUncertaintyEstimator).IsAssignableFrom(t));
        var covered = Unfitted.Values.Select(make => Dispose(make())).ToHashSet();

        estimators.Should().BeSubsetOf(covered, "every public estimator needs an unfitted configuration here to inherit the Estimate-before-Fit check");
    }

    [Theory]
    [MemberData(nameof(Estimators))]
    public void Estimate_BeforeFit_ThrowsInvalidOperationExceptionNamingFit_WhenFittingIsNeeded(string configuration)
    {
        using var scope = torch.NewDisposeScope();
        var estimator = Unfitted[configuration]();
        var needsFit = (estimator.Requirements & (Requirements.LabelledValidationData | Requirements.TrainingData)) != 0;

        var act = () => estimator.Estimate(PublicInstances.Images()).Dispose();

        if (needsFit)
        {
            act.Should().Throw<InvalidOperationException>().WithMessage("*Fit*");
        }
        else
        {
            act.Should().NotThrow("an estimator that needs nothing is ready at once");
        }

        (estimator as IDisposable)?.Dispose();
    }

    private static Type Dispose(IUncertaintyEstimator estimator)
    {
        (estimator as IDisposable)?.Dispose();
        return estimator.GetType();
    }
}
