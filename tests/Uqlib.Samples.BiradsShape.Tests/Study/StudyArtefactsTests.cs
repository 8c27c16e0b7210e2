using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Combination;
using Uqlib.Samples.BiradsShape.Data;
using Uqlib.Samples.BiradsShape.Study;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Tests.Study;

[Collection(QuickStudyCollection.Name)]
public sealed class StudyArtefactsTests
{
    private readonly QuickStudyFixture study;

    public StudyArtefactsTests(QuickStudyFixture study)
    {
        this.study = study;
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 4)]
    public void LoadFold_SavedByRun_ReproducesEveryScoreExactly(bool augmented, int fold)
    {
        var options = study.Options;
        var key = StudyArtefacts.ConfigurationKey(augmented);
        var configuration = study.Result.Configurations.Single(c => c.Augmented == augmented).Name;
        var (header, rows) = Predictions(configuration, "external", fold);
        using var external = BiradsStudy.PrepareData(options.ExternalPatients, ScannerProfile.External, options, BiradsStudy.ExternalSeed(options));
        rows.Should().HaveCount(external.Slices.Count);

        var (network, _, calibrated, mahalanobis, knn) = StudyArtefacts.LoadFold(study.Directory, key, fold, options.VolumeSize);
        using (network)
        using (mahalanobis)
        using (knn)
        {
            var batches = new[] { new Batch(external.Slices.Images) };
            using (var estimate = calibrated.EstimateAll(batches))
            {
                Column(estimate.Scores).Should().Equal(Column(header, rows, calibrated.Name));
                using var irregular = estimate.Probabilities[.., 1];
                Column(irregular).Should().Equal(Column(header, rows, "p_irregular_calibrated"));
            }

            using (var estimate = mahalanobis.EstimateAll(batches))
            {
                Column(estimate.Scores).Should().Equal(Column(header, rows, mahalanobis.Name));
            }

            using (var estimate = knn.EstimateAll(batches))
            {
                Column(estimate.Scores).Should().Equal(Column(header, rows, knn.Name));
            }
        }
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 3)]
    public void PolicyLoad_SavedByRun_RebuildsPolicyAndReproducesTtaScoresExactly(bool augmented, int fold)
    {
        var options = study.Options;
        var key = StudyArtefacts.ConfigurationKey(augmented);
        var result = study.Result.Configurations.Single(c => c.Augmented == augmented);
        var policy = TtaPolicy.Load(StudyArtefacts.PolicyPath(study.Directory, key));
        policy.Temperature.Should().Be(result.PolicyTemperature);
        policy.Augmentations.Select(a => a.Name).Should().Equal(result.TtaPolicy);
        policy.Count.Should().Be(PolicySearch.Steps);

        var (header, rows) = Predictions(result.Name, "external", fold);
        using var external = BiradsStudy.PrepareData(options.ExternalPatients, ScannerProfile.External, options, BiradsStudy.ExternalSeed(options));
        var (network, model, _, mahalanobis, knn) = StudyArtefacts.LoadFold(study.Directory, key, fold, options.VolumeSize);
        using (network)
        using (mahalanobis)
        using (knn)
        {
            var methods = BiradsStudy.SingleModelMethods(model, policy);
            try
            {
                foreach (var tta in methods.OfType<TestTimeAugmentationEstimator>())
                {
                    using var estimate = tta.EstimateAll(new[] { new Batch(external.Slices.Images) });
                    Column(estimate.Scores).Should().Equal(Column(header, rows, tta.Name), tta.Name);
                }
            }
            finally
            {
                foreach (var method in methods)
                {
                    (method as IDisposable)?.Dispose();
                }
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CombinerLoad_SavedByRun_ReproducesCombinedScoresExactly(bool augmented)
    {
        var key = StudyArtefacts.ConfigurationKey(augmented);
        var configuration = study.Result.Configurations.Single(c => c.Augmented == augmented).Name;
        var combiner = ZScoreCombiner.Load(StudyArtefacts.CombinerPath(study.Directory, key));
        combiner.Methods.Should().NotContain(BiradsStudy.BaselineName).And.HaveCount(7);
        foreach (var set in new[] { "validation", "internal", "external" })
        {
            for (var fold = 0; fold < study.Options.Folds; fold++)
            {
                var (header, rows) = Predictions(configuration, set, fold);
                var scores = combiner.Methods.ToDictionary(m => m, m => tensor(Column(header, rows, m)), StringComparer.Ordinal);
                try
                {
                    using var combined = combiner.Combine(scores);
                    Column(combined).Should().Equal(Column(header, rows, BiradsStudy.CombinationName), $"{set}, fold {fold}");
                }
                finally
                {
                    foreach (var tensor in scores.Values)
                    {
                        tensor.Dispose();
                    }
                }
            }
        }
    }

    [Fact]
    public void CombinerLoad_TruncatedFile_ThrowsInvalidData()
    {
        var path = Path.Combine(study.Directory, "truncated-combiner.json");
        var bytes = File.ReadAllBytes(StudyArtefacts.CombinerPath(study.Directory, StudyArtefacts.ConfigurationKey(false)));
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var act = () => ZScoreCombiner.Load(path);
        act.Should().Throw<InvalidDataException>();
    }

    private (string[] Header, List<string[]> Rows) Predictions(string configuration, string set, int fold)
    {
        var lines = File.ReadAllLines(Path.Combine(study.Directory, StudyReportWriter.PredictionsFile));
        var foldText = fold.ToString(CultureInfo.InvariantCulture);
        var rows = lines.Skip(1).Select(l => l.Split(',')).Where(r => r[0] == configuration && r[1] == set && r[2] == foldText).ToList();
        return (lines[0].Split(','), rows);
    }

    private static double[] Column(string[] header, List<string[]> rows, string name)
    {
        var index = Array.IndexOf(header, name);
        index.Should().BeGreaterThanOrEqualTo(0, $"predictions.csv has a column {name}");
        return rows.Select(r => double.Parse(r[index], CultureInfo.InvariantCulture)).ToArray();
    }

    private static double[] Column(Tensor values)
    {
        using var doubles = values.to(ScalarType.Float64).cpu();
        return doubles.data<double>().ToArray();
    }
}
