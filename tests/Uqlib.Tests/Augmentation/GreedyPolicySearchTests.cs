using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using FluentAssertions;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Augmentation;

public sealed class GreedyPolicySearchTests : IDisposable
{
    private static readonly JsonElement Reference = Golden.Load("gps.json");

    private readonly Tensor cache;
    private readonly Tensor labels;

    public GreedyPolicySearchTests()
    {
        (cache, labels) = SyntheticCache.Create();
    }

    public void Dispose()
    {
        cache.Dispose();
        labels.Dispose();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Search_FirstStep_ReportsTheOneEceAndTheOneTemperatureOfItsCandidate(bool spanKernels)
    {
        var result = GreedyPolicySearch.Search(cache, labels, new GreedyPolicySearchOptions { Steps = 1 }, null, CancellationToken.None, spanKernels);
        var step = result.Steps[0];
        using var scope = torch.NewDisposeScope();
        var chosen = cache[step.Candidate];

        // After one step the policy is the chosen candidate alone: its temperature is temperature scaling's, its ECE CalibrationMetrics'.
        var fitted = Uqlib.Calibration.TemperatureScaling.Fit(chosen, labels).Temperature;
        step.Temperature.Should().BeApproximately(fitted, 1e-9 * fitted);
        var calibrated = chosen.div(step.Temperature).softmax(1);
        step.Ece.Should().BeApproximately(Uqlib.Calibration.CalibrationMetrics.Ece(calibrated, labels), 1e-12);
    }

    [Theory]
    [InlineData(1L << 20, true)]
    [InlineData(2000 * 5, true)]
    [InlineData(1L << 20, false)]
    [InlineData(7 * 2000 * 5, false)]
    public void Search_SyntheticCache_FollowsTheAuthorsRuleStepByStep(long chunkElements, bool spanKernels)
    {
        var golden = Reference.GetProperty("gps").EnumerateArray().ToArray();
        var result = GreedyPolicySearch.Search(cache, labels, new GreedyPolicySearchOptions { Steps = golden.Length, ChunkElements = chunkElements },
            null, CancellationToken.None, spanKernels);

        result.SelectedCandidates.Should().Equal(golden.Select(g => g.GetProperty("candidate").GetInt32()));
        result.Steps.Should().HaveCount(golden.Length);
        for (var i = 0; i < golden.Length; i++)
        {
            var step = result.Steps[i];
            step.Step.Should().Be(i + 1);
            step.CalibratedLogLikelihood.Should().BeApproximately(golden[i].GetProperty("calibratedLogLikelihood").GetDouble(), 1e-6);
            step.Temperature.Should().BeApproximately(golden[i].GetProperty("temperature").GetDouble(), 1e-5);
            step.LogLikelihood.Should().BeApproximately(golden[i].GetProperty("logLikelihood").GetDouble(), 1e-12);
            step.Accuracy.Should().Be(golden[i].GetProperty("accuracy").GetDouble());
            step.Ece.Should().BeApproximately(golden[i].GetProperty("ece").GetDouble(), 1e-9);
            step.HeldOutCalibratedLogLikelihood.Should().BeNull();
        }

        result.Temperature.Should().Be(result.Steps[^1].Temperature);
        result.CandidateCount.Should().Be(30);
        result.SearchSamples.Should().Be(2000);
        result.StoppedEarly.Should().BeFalse();
        result.Criterion.Should().Be(PolicySearchCriterion.CalibratedLogLikelihood);
        result.SelectedCandidates.Should().NotContain(c => c >= 15, "label-changing and very noisy candidates are harmful");
    }

    [Theory]
    [InlineData(PolicySearchCriterion.LogLikelihood, "logLikelihoodSelection", true)]
    [InlineData(PolicySearchCriterion.Accuracy, "accuracySelection", true)]
    [InlineData(PolicySearchCriterion.LogLikelihood, "logLikelihoodSelection", false)]
    [InlineData(PolicySearchCriterion.Accuracy, "accuracySelection", false)]
    public void Search_OtherCriteria_MatchTheReferenceSelections(PolicySearchCriterion criterion, string property, bool spanKernels)
    {
        var expected = Golden.Vector(Reference.GetProperty(property)).Select(v => (int)v).ToArray();
        var result = GreedyPolicySearch.Search(cache, labels, new GreedyPolicySearchOptions { Steps = expected.Length, Criterion = criterion },
            null, CancellationToken.None, spanKernels);
        result.SelectedCandidates.Should().Equal(expected);
        result.Criterion.Should().Be(criterion);
    }

    [Fact]
    public void Search_CriteriaAreSwitchable_AndGiveDifferentPolicies()
    {
        var options = new GreedyPolicySearchOptions { Steps = 12 };
        var calibrated = GreedyPolicySearch.Search(cache, labels, options);
        var plain = GreedyPolicySearch.Search(cache, labels, options with { Criterion = PolicySearchCriterion.LogLikelihood });
        plain.SelectedCandidates.Should().NotEqual(calibrated.SelectedCandidates);
    }

    [Fact]
    public void Search_WithTheIdentityInThePool_CalibratedLogLikelihoodNeverDecreases()
    {
        // Adding the identity again can only keep the mixture close to the policy; greedy picks at least as good a candidate. Run on
        // pools where the identity (candidate 0) is the only good one and where it competes with others.
        foreach (var pool in new[] { new long[] { 0, 15, 16, 23, 27 }, Enumerable.Range(0, 30).Select(i => (long)i).ToArray() })
        {
            using var index = torch.tensor(pool);
            using var subset = cache.index_select(0, index);
            var result = GreedyPolicySearch.Search(subset, labels, new GreedyPolicySearchOptions { Steps = 15 });
            for (var i = 1; i < result.Steps.Count; i++)
            {
                result.Steps[i].CalibratedLogLikelihood.Should().BeGreaterThanOrEqualTo(result.Steps[i - 1].CalibratedLogLikelihood - 1e-12);
            }
        }
    }

    [Fact]
    public void Search_PoolOfOneCandidate_RepeatsIt()
    {
        using var one = cache.narrow(0, 4, 1);
        var result = GreedyPolicySearch.Search(one, labels, new GreedyPolicySearchOptions { Steps = 5 });
        result.SelectedCandidates.Should().Equal(0, 0, 0, 0, 0);
        result.GetMultiplicities().Should().Equal(5);
        result.Steps.Should().OnlyContain(s => Math.Abs(s.CalibratedLogLikelihood - result.Steps[0].CalibratedLogLikelihood) < 1e-14,
            "the mixture of a candidate with itself is itself");
    }

    [Fact]
    public void Search_TiedCandidates_PicksTheLowestIndex()
    {
        using var twice = torch.cat(new[] { cache.narrow(0, 27, 1), cache.narrow(0, 1, 1), cache.narrow(0, 1, 1) }, 0);
        foreach (var criterion in Enum.GetValues<PolicySearchCriterion>())
        {
            foreach (var spanKernels in new[] { true, false })
            {
                var result = GreedyPolicySearch.Search(twice, labels, new GreedyPolicySearchOptions { Steps = 1, Criterion = criterion },
                    null, CancellationToken.None, spanKernels);
                result.SelectedCandidates.Should().Equal(1);
            }
        }
    }

    [Fact]
    public void Search_Float32Cache_SelectsAsTheFloat64Cache()
    {
        using var single = cache.to(ScalarType.Float32);
        var options = new GreedyPolicySearchOptions { Steps = 8 };
        var fromSingle = GreedyPolicySearch.Search(single, labels, options);
        var fromDouble = GreedyPolicySearch.Search(cache, labels, options);
        fromSingle.SelectedCandidates.Should().Equal(fromDouble.SelectedCandidates);
        fromSingle.Steps[^1].CalibratedLogLikelihood.Should().BeApproximately(fromDouble.Steps[^1].CalibratedLogLikelihood, 1e-6);
    }

    [Fact]
    public void Search_MinimumGain_StopsWhenTheGainFallsBelowIt()
    {
        var full = GreedyPolicySearch.Search(cache, labels, new GreedyPolicySearchOptions { Steps = 12 });
        var stopped = GreedyPolicySearch.Search(cache, labels, new GreedyPolicySearchOptions { Steps = 12, MinimumGain = 0.01 });

        // Gains: 0.18, 0.074, 0.044, 0.030, 0.013, 0.011, then below 0.01.
        stopped.StoppedEarly.Should().BeTrue();
        stopped.SelectedCandidates.Should().Equal(full.SelectedCandidates.Take(stopped.Steps.Count));
        var last = stopped.Steps.Count;
        (full.Steps[last].CalibratedLogLikelihood - full.Steps[last - 1].CalibratedLogLikelihood).Should().BeLessThan(0.01);
        (full.Steps[last - 1].CalibratedLogLikelihood - full.Steps[last - 2].CalibratedLogLikelihood).Should().BeGreaterThanOrEqualTo(0.01);
    }

    [Fact]
    public void Search_HeldOutCheck_SearchesOnHalfAndReportsTheOtherHalf()
    {
        var options = new GreedyPolicySearchOptions { Steps = 6, HeldOutCheck = true, Seed = 3 };
        var result = GreedyPolicySearch.Search(cache, labels, options);
        result.SearchSamples.Should().Be(1000);
        result.Steps.Should().OnlyContain(s => s.HeldOutCalibratedLogLikelihood.HasValue);

        // The held-out value is the cLL of the same policy on the other half: rebuild it by hand for the last step.
        using var generator = new torch.Generator(3);
        using var permutation = torch.randperm(2000, generator: generator);
        using var other = permutation.narrow(0, 1000, 1000);
        using var heldCache = cache.index_select(1, other);
        using var heldLabels = labels.index_select(0, other);
        using var index = torch.tensor(result.SelectedCandidates.Select(c => (long)c).ToArray());
        using var mixture = heldCache.index_select(0, index).logsumexp(0).sub(Math.Log(result.Steps.Count)).unsqueeze(0);
        var (_, nll) = BatchedTemperature.Fit(mixture, heldLabels, 0.01, 100, 1L << 20);
        result.Steps[^1].HeldOutCalibratedLogLikelihood!.Value.Should().BeApproximately(-nll[0], 1e-10);

        // Deterministic for a seed; another seed splits differently.
        GreedyPolicySearch.Search(cache, labels, options).Steps.Should().Equal(result.Steps);
        GreedyPolicySearch.Search(cache, labels, options with { Seed = 4 }).Steps[0].HeldOutCalibratedLogLikelihood
            .Should().NotBe(result.Steps[0].HeldOutCalibratedLogLikelihood);
    }

    [Fact]
    public void Search_ReportsEachStepToProgress()
    {
        var reported = new List<GreedyPolicySearchStep>();
        var result = GreedyPolicySearch.Search(cache, labels, new GreedyPolicySearchOptions { Steps = 3 }, new SynchronousProgress(reported.Add));
        reported.Should().Equal(result.Steps);
    }

    [Fact]
    public void Search_Cancelled_Throws()
    {
        using var source = new CancellationTokenSource();
        source.Cancel();
        var act = () => GreedyPolicySearch.Search(cache, labels, null, null, source.Token);
        act.Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void Search_LeaksNoTensors()
    {
        var before = LiveTensors.Count;
        GreedyPolicySearch.Search(cache, labels, new GreedyPolicySearchOptions { Steps = 3, HeldOutCheck = true, ChunkElements = 50_000 });
        LiveTensors.Count.Should().Be(before);
        GreedyPolicySearch.Search(cache, labels, new GreedyPolicySearchOptions { Steps = 3, ChunkElements = 50_000 }, null, CancellationToken.None,
            spanKernels: false);
        LiveTensors.Count.Should().Be(before);
    }

    [Theory]
    [InlineData(ScalarType.Float32, false, true)]
    [InlineData(ScalarType.Float16, true, true)]
    [InlineData(ScalarType.Float32, true, false)]
    public void Search_HoldsNoCopiesOfTheCacheAcrossSteps(ScalarType dtype, bool heldOut, bool spanKernels)
    {
        // A disk-backed cache is read chunk by chunk: the live tensors after each step must not grow with the steps or the chunks.
        using var narrow = cache.to(dtype);
        var live = new List<long>();
        GreedyPolicySearch.Search(narrow, labels, new GreedyPolicySearchOptions { Steps = 4, HeldOutCheck = heldOut, ChunkElements = 50_000 },
            new SynchronousProgress(_ => live.Add(LiveTensors.Count)), CancellationToken.None, spanKernels);
        live.Should().HaveCount(4).And.OnlyContain(count => count == live[0]);
    }

    [Fact]
    public void Search_EmptyPool_Throws()
    {
        using var empty = torch.zeros(0, 2000, 5, ScalarType.Float64);
        var act = () => GreedyPolicySearch.Search(empty, labels);
        act.Should().Throw<ArgumentException>().WithParameterName("logProbabilities").WithMessage("*pool is empty*");
    }

    [Fact]
    public void Search_MissingLabels_Throws()
    {
        var act = () => GreedyPolicySearch.Search(cache, null!);
        act.Should().Throw<ArgumentNullException>().WithParameterName("labels").WithMessage("*labelled validation set*");
    }

    [Fact]
    public void Search_LabelsOutOfRangeOrNotIntegers_Throws()
    {
        using var outside = labels.clone();
        outside[7] = torch.tensor(5L);
        var act = () => GreedyPolicySearch.Search(cache, outside);
        act.Should().Throw<ArgumentException>().WithParameterName("labels").WithMessage("*[0, 4]*row 7: 5*");

        using var floating = labels.to(ScalarType.Float32);
        act = () => GreedyPolicySearch.Search(cache, floating);
        act.Should().Throw<ArgumentException>().WithParameterName("labels").WithMessage("*integer*");
    }

    [Fact]
    public void Search_MismatchedShapes_Throw()
    {
        using var shortLabels = labels.narrow(0, 0, 1999);
        var act = () => GreedyPolicySearch.Search(cache, shortLabels);
        act.Should().Throw<ArgumentException>().WithParameterName("labels").WithMessage("*1999 samples*2000*");

        using var flat = cache[0];
        act = () => GreedyPolicySearch.Search(flat, labels);
        act.Should().Throw<ArgumentException>().WithParameterName("logProbabilities").WithMessage("*rank 3*");

        using var oneClass = cache.narrow(2, 0, 1).sub(cache.narrow(2, 0, 1));
        act = () => GreedyPolicySearch.Search(oneClass, labels.mul(0));
        act.Should().Throw<ArgumentException>().WithParameterName("logProbabilities").WithMessage("*2 classes*");
    }

    [Theory]
    [InlineData(double.NaN, "*1 NaN value*row 3*")]
    [InlineData(double.PositiveInfinity, "*1 infinite value*row 3*")]
    [InlineData(double.NegativeInfinity, "*1 infinite value*row 3*")]
    public void Search_NonFiniteCache_Throws(double value, string message)
    {
        using var bad = cache.clone();
        bad[3, 10, 2] = torch.tensor(value);
        var act = () => GreedyPolicySearch.Search(bad, labels);
        act.Should().Throw<ArgumentException>().WithParameterName("logProbabilities").WithMessage(message);
    }

    [Fact]
    public void Search_NonFiniteCacheInSeveralChunks_CountsThemAll()
    {
        using var bad = cache.to(ScalarType.Float16);
        bad[20, 4, 1] = torch.tensor(double.PositiveInfinity);
        bad[3, 10, 2] = torch.tensor(double.NaN);
        var act = () => GreedyPolicySearch.Search(bad, labels, new GreedyPolicySearchOptions { ChunkElements = 50_000 });
        act.Should().Throw<ArgumentException>().WithParameterName("logProbabilities").WithMessage("*1 NaN and 1 infinite values (first at row 3)*");
    }

    [Fact]
    public void Search_LogitsInsteadOfLogProbabilities_Throws()
    {
        using var logits = cache.add(2.0);
        var act = () => GreedyPolicySearch.Search(logits, labels);
        act.Should().Throw<ArgumentException>().WithParameterName("logProbabilities").WithMessage("*log-sum-exp*candidate 0, sample 0*");
    }

    [Fact]
    public void Search_InvalidOptions_ReportsEveryProblem()
    {
        var options = new GreedyPolicySearchOptions { Steps = 0, MinTemperature = -1, MinimumGain = double.NaN, ChunkElements = 0 };
        var act = () => GreedyPolicySearch.Search(cache, labels, options);
        act.Should().Throw<ArgumentException>().WithParameterName("options")
            .WithMessage("*Steps*MinimumGain*MinTemperature*ChunkElements*");
    }

    [Fact]
    public void Fit_TrainedCnn_NeverSelectsTheLabelDestroyingRotation_AndSelectsAHarmlessFlip()
    {
        // Bars on noise: class 0 horizontal, class 1 vertical. A quarter turn swaps the classes; a mirror keeps them.
        using var scope = torch.NewDisposeScope();
        var (trainX, trainY) = OrientationImages(512, seed: 1);
        var (validX, validY) = OrientationImages(400, seed: 2);
        var cnn = TrainOrientationCnn(trainX, trainY);
        var model = new Uqlib.Models.TorchModuleModel(cnn, OutputKind.MulticlassLogits);
        var rotation = SubPolicy.Of(new PolicyOperation(AugmentationOperation.Rot90, 1));
        var mirror = SubPolicy.Of(new PolicyOperation(AugmentationOperation.Flip, 1));
        var otherMirror = SubPolicy.Of(new PolicyOperation(AugmentationOperation.Flip, -1));
        var pool = CandidatePool.Of(rotation, mirror, otherMirror);
        var validation = new[] { new Batch(validX.narrow(0, 0, 200), validY.narrow(0, 0, 200)), new Batch(validX.narrow(0, 200, 200), validY.narrow(0, 200, 200)) };
        var steps = new List<GreedyPolicySearchStep>();

        var policy = GreedyPolicySearch.Fit(model, validation, pool, new GreedyPolicySearchOptions { Steps = 6 }, searchProgress: new SynchronousProgress(steps.Add));

        using (var plain = model.Forward(validX))
        {
            plain.Logits.argmax(1).eq(validY).to(ScalarType.Float64).mean().ToDouble().Should().BeInRange(0.8, 0.995, "the CNN learnt the task, imperfectly");
        }

        policy.SubPolicies!.Should().NotContain(rotation, "a quarter turn swaps the labels");
        policy.SubPolicies!.Should().Contain(s => s == mirror || s == otherMirror, "mirrored copies average out the noise");
        policy.Count.Should().Be(6);
        policy.Temperature.Should().Be(steps[^1].Temperature);
        steps[^1].CalibratedLogLikelihood.Should().BeGreaterThan(steps[0].CalibratedLogLikelihood + 0.01, "the policy beats its best single candidate");

        using var tta = new TestTimeAugmentationEstimator(model, policy, Uqlib.Ensembles.EnsembleScore.PredictiveEntropy, policy.CreateCalibrator(2)).Estimate(validX);
        var nll = tta.Probabilities.gather(1, validY.unsqueeze(1)).log().mean().neg().ToDouble();
        nll.Should().BeApproximately(-steps[^1].CalibratedLogLikelihood, 1e-4, "the estimator reproduces the searched policy's calibrated prediction");
    }

    [Fact]
    public void Fit_VolumeSegmenter_SearchesOnSampledVoxels_AndAvoidsTheBiasingShift()
    {
        // A voxel-wise segmenter of noisy volumes: mirrored copies are mapped back and average the noise out; a brightness shift biases every voxel.
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator(11);
        var truth = torch.rand(new long[] { 6, 1, 4, 8, 8 }, generator: generator);
        var labels = truth.squeeze(1).gt(0.5).to(ScalarType.Int64);
        var inputs = truth.add(torch.randn(truth.shape, generator: generator).mul(0.3));
        var smooth = Augmentations.GaussianBlur(0.6);
        var model = new Uqlib.Models.DelegateModel(
            x => { using var blurred = smooth.Apply(x.add(x.flip(-1)).div(2)); return torch.cat(new[] { torch.zeros_like(x), blurred.sub(0.5).mul(8) }, 1); },
            OutputKind.MulticlassLogits);
        var shift = SubPolicy.Of(new PolicyOperation(AugmentationOperation.Brightness, 1));
        var pool = CandidatePool.Of(shift, SubPolicy.Of(new PolicyOperation(AugmentationOperation.Flip, -1)), SubPolicy.Of(new PolicyOperation(AugmentationOperation.GaussianNoise, 0.5, 3)));
        var reports = new List<EstimationProgress>();

        var policy = GreedyPolicySearch.Fit(model, new[] { new Batch(inputs, labels) }, pool, new GreedyPolicySearchOptions { Steps = 4 },
            new CandidateCacheOptions { PixelsPerImage = 100, Seed = 2 }, new Progress(reports.Add));

        policy.SubPolicies!.Should().NotContain(shift);
        policy.Count.Should().Be(4);
        policy.Temperature.Should().BePositive();
        reports.Should().Equal(new EstimationProgress(1, 6) { TotalSamples = 6 });
        ((Action)(() => GreedyPolicySearch.Fit(model, new[] { new Batch(inputs) }, pool))).Should().Throw<ArgumentException>().WithMessage("*no labels*");
        ((Action)(() => GreedyPolicySearch.Fit(model, new[] { new Batch(inputs, labels) }, pool, new GreedyPolicySearchOptions { Steps = 0 })))
            .Should().Throw<ArgumentException>().WithMessage("*Steps*");
    }

    /// <summary>12×12 images with one bar of length 5 to 8 at a random place, horizontal (label 0) or vertical (label 1), plus Gaussian noise of SD 0.6.</summary>
    private static (Tensor Images, Tensor Labels) OrientationImages(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new float[count * 144];
        var labels = new long[count];
        for (var i = 0; i < count; i++)
        {
            labels[i] = random.Next(2);
            var length = 5 + random.Next(4);
            var along = random.Next(12 - length + 1);
            var across = 1 + random.Next(10);
            for (var j = 0; j < length; j++)
            {
                var (row, column) = labels[i] == 0 ? (across, along + j) : (along + j, across);
                pixels[(i * 144) + (row * 12) + column] = 1;
            }
        }

        var noise = torch.randn(new long[] { count, 1, 12, 12 }, generator: new torch.Generator((ulong)seed)).mul(0.6);
        return (torch.tensor(pixels, new long[] { count, 1, 12, 12 }).add(noise), torch.tensor(labels));
    }

    /// <summary>A two-layer CNN with global max pooling, initialised from its own seed and trained by Adam (full batch, 200 steps).</summary>
    private static TorchSharp.Modules.Sequential TrainOrientationCnn(Tensor images, Tensor labels)
    {
        var cnn = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding: 1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding: 1), nn.ReLU(),
            nn.AdaptiveMaxPool2d(new long[] { 1, 1 }), nn.Flatten(), nn.Linear(8, 2));
        var generator = new torch.Generator(7);
        using (torch.no_grad())
        {
            foreach (var parameter in cnn.parameters())
            {
                parameter.copy_(torch.randn(parameter.shape, generator: generator).mul(0.3));
            }
        }

        var optimizer = torch.optim.Adam(cnn.parameters(), lr: 0.02);
        cnn.train();
        for (var step = 0; step < 200; step++)
        {
            using var stepScope = torch.NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(cnn.call(images), labels);
            loss.backward();
            optimizer.step();
        }

        cnn.eval();
        return cnn;
    }

    private sealed class Progress(Action<EstimationProgress> report) : IProgress<EstimationProgress>
    {
        public void Report(EstimationProgress value) => report(value);
    }

    private sealed class SynchronousProgress(Action<GreedyPolicySearchStep> report) : IProgress<GreedyPolicySearchStep>
    {
        public void Report(GreedyPolicySearchStep value) => report(value);
    }

    [Fact]
    public void Search_WithLogger_LogsEveryStepAndAnEarlyStop()
    {
        using var scope = torch.NewDisposeScope();
        var logProbabilities = torch.randn(4, 30, 3, generator: torch.manual_seed(8)).log_softmax(2);
        var labels = torch.arange(30, dtype: ScalarType.Int64).remainder(3);
        var logger = new CapturingLogger();

        var result = GreedyPolicySearch.Search(logProbabilities, labels, new GreedyPolicySearchOptions { Steps = 3, Logger = logger });
        var stopped = GreedyPolicySearch.Search(logProbabilities, labels, new GreedyPolicySearchOptions { Steps = 3, MinimumGain = 1e9, Logger = logger });

        logger.Entries.Take(3).Select(e => (e.Level, e.Event.Id)).Should().AllBeEquivalentTo((Microsoft.Extensions.Logging.LogLevel.Information, 1001));
        logger.Entries[0].Message.Should().StartWith("GPS step 1/3: candidate " + result.Steps[0].Candidate.ToString(System.Globalization.CultureInfo.InvariantCulture));
        stopped.StoppedEarly.Should().BeTrue();
        logger.Entries.Should().ContainSingle(e => e.Event.Id == 1002).Which.Message.Should().StartWith("GPS stopped before step 2");
        GreedyPolicySearch.Search(logProbabilities, labels, new GreedyPolicySearchOptions { Steps = 3 }).Steps.Select(s => s.Candidate)
            .Should().Equal(result.Steps.Select(s => s.Candidate), "the logger does not change the search");
    }
}
