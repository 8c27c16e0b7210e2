using System;
using System.IO;
using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Models;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

/// <summary>The behaviour the latent estimators share through <see cref="LatentEstimator{TDetector}"/>.</summary>
public sealed class LatentEstimatorTests
{
    private static readonly DelegateModel Model = new(x => (x.narrow(1, 0, 3).clone(), x.clone()), OutputKind.MulticlassLogits);

    public static TheoryData<string> Estimators => new() { "kNN", "Mahalanobis", "Relative Mahalanobis", "ViM", "ReAct", "DICE", "fDBD", "NNGuide" };

    [Theory]
    [MemberData(nameof(Estimators))]
    public void EveryMember_AfterDispose_ThrowsObjectDisposedNamingTheEstimator(string name)
    {
        using var generator = new Generator(1);
        using var features = torch.randn(new long[] { 60, 6 }, generator: generator);
        using var labels = torch.arange(60, dtype: ScalarType.Int64).remainder_(3);
        var estimator = Create(name);
        estimator.Fit(new FitData { Training = [new Batch(features, labels)] });
        var path = Path.Combine(Directory.CreateTempSubdirectory("uqlib-latent-").FullName, "fit.uqlib");
        Save(estimator, path);
        ((IDisposable)estimator).Dispose();

        var type = estimator.GetType().FullName;
        FluentActions.Invoking(() => estimator.Estimate(features)).Should().Throw<ObjectDisposedException>().Which.ObjectName.Should().Be(type);
        FluentActions.Invoking(() => estimator.Fit(new FitData { Training = [new Batch(features, labels)] })).Should().Throw<ObjectDisposedException>()
            .Which.ObjectName.Should().Be(type);
        FluentActions.Invoking(() => Save(estimator, path)).Should().Throw<ObjectDisposedException>().Which.ObjectName.Should().Be(type);
        FluentActions.Invoking(() => Load(estimator, path)).Should().Throw<ObjectDisposedException>().Which.ObjectName.Should().Be(type);
        FluentActions.Invoking(() => estimator.GetType().GetProperty("Detector")!.GetValue(estimator)).Should()
            .Throw<System.Reflection.TargetInvocationException>().WithInnerException<ObjectDisposedException>();
        FluentActions.Invoking(((IDisposable)estimator).Dispose).Should().NotThrow();
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
    }

    [Theory]
    [MemberData(nameof(Estimators))]
    public void Load_OfARefusedFile_KeepsTheCurrentFit(string name)
    {
        using var generator = new Generator(1);
        using var features = torch.randn(new long[] { 60, 6 }, generator: generator);
        using var labels = torch.arange(60, dtype: ScalarType.Int64).remainder_(3);
        var estimator = Create(name);
        try
        {
            estimator.Fit(new FitData { Training = [new Batch(features, labels)] });
            using var before = estimator.Estimate(features);
            var path = Path.Combine(Directory.CreateTempSubdirectory("uqlib-latent-").FullName, "bad.uqlib");
            File.WriteAllText(path, "not a saved file");
            FluentActions.Invoking(() => Load(estimator, path)).Should().Throw<InvalidDataException>().WithMessage($"'{path}' is not a valid *Detector file: *");
            using var after = estimator.Estimate(features);
            after.Scores.allclose(before.Scores, rtol: 0, atol: 0).Should().BeTrue();
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
        finally
        {
            ((IDisposable)estimator).Dispose();
        }
    }

    private static IUncertaintyEstimator Create(string name)
    {
        using var generator = new Generator(5);
        using var weight = torch.randn(new long[] { 3, 6 }, generator: generator);
        return name switch
        {
            "kNN" => new KnnEstimator(Model, new KnnOptions { K = 3 }),
            "Mahalanobis" => new MahalanobisEstimator(Model),
            "Relative Mahalanobis" => new RelativeMahalanobisEstimator(Model),
            "ReAct" => new ReactEstimator(Model, weight),
            "DICE" => new DiceEstimator(Model, weight),
            "fDBD" => new FdbdEstimator(Model, weight),
            "NNGuide" => new NnGuideEstimator(Model, weight, null, new NnGuideOptions { K = 3 }),
            _ => new VimEstimator(Model, weight, null, new VimOptions { PrincipalDimension = 2 }),
        };
    }

    private static void Save(IUncertaintyEstimator estimator, string path)
    {
        Invoke(estimator, "Save", path);
    }

    private static void Load(IUncertaintyEstimator estimator, string path)
    {
        Invoke(estimator, "Load", path);
    }

    private static void Invoke(IUncertaintyEstimator estimator, string method, string path)
    {
        try
        {
            estimator.GetType().GetMethod(method, [typeof(string)])!.Invoke(estimator, [path]);
        }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
        }
    }
}
