using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Conformal;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Conformal;

/// <summary>
/// Clustered calibration, by simulation: patients differ in difficulty and easy patients have many slices. Calibrating on every slice
/// lets the easy patients set the threshold, so new patients are under-covered; one score per patient restores the guarantee.
/// </summary>
public sealed class ClusterCalibrationTests
{
    private const int Replicates = 300;
    private const int CalibrationPatients = 40;
    private const int TestPatients = 100;
    private const double Alpha = 0.1;

    [Fact]
    public void Fit_RandomCasePerPatient_CoversNewPatientsWhereSliceCalibrationDoesNot()
    {
        var (naive, perPatient) = Simulate(ClusterCalibration.RandomCase, c => c.MeanCoverage);

        // Per-patient coverage (each patient's covered share, averaged): the mean over 300 replicates of 100 patients.
        var tolerance = 4 * Math.Sqrt((Alpha * (1 - Alpha) / (CalibrationPatients + 2)) + (Alpha * (1 - Alpha) / TestPatients)) / Math.Sqrt(Replicates);
        perPatient.Should().BeGreaterThanOrEqualTo(1 - Alpha - tolerance);
        naive.Should().BeLessThan(1 - Alpha - (5 * tolerance), "slice-level calibration is dominated by the easy patients' many slices");
    }

    [Fact]
    public void Fit_MaximumPerPatient_CoversEveryCaseOfNewPatientsAtOnce()
    {
        var (naive, perPatient) = Simulate(ClusterCalibration.Maximum, c => c.AllCoveredShare);
        var tolerance = 4 * Math.Sqrt((Alpha * (1 - Alpha) / (CalibrationPatients + 2)) + (Alpha * (1 - Alpha) / TestPatients)) / Math.Sqrt(Replicates);
        perPatient.Should().BeGreaterThanOrEqualTo(1 - Alpha - tolerance);
        naive.Should().BeLessThan(1 - Alpha - (5 * tolerance));
    }

    private static (double Naive, double PerPatient) Simulate(ClusterCalibration rule, Func<ClusterCoverage, double> measure)
    {
        var naive = 0.0;
        var perPatient = 0.0;
        for (var r = 0; r < Replicates; r++)
        {
            using var scope = torch.NewDisposeScope();
            var (p, y, patients) = Patients(CalibrationPatients, 7000 + r);
            var (testP, testY, testPatients) = Patients(TestPatients, 9000 + r);
            var options = new ConformalSetOptions { ClusterCalibration = rule, Seed = r, Randomized = true, AllowEmptySets = true };
            var sliceLevel = ConformalClassifier.Fit(p, y, options);
            var patientLevel = ConformalClassifier.Fit(p, y, options, patients);
            using var naiveSets = sliceLevel.Predict(testP, Alpha);
            using var sets = patientLevel.Predict(testP, Alpha);
            naive += measure(naiveSets.ClusterCoverage(testY, testPatients));
            perPatient += measure(sets.ClusterCoverage(testY, testPatients));
        }

        return (naive / Replicates, perPatient / Replicates);
    }

    /// <summary>Binary cases: a patient's difficulty d ~ N(0, 1); easy patients (d &lt; 0) have 12 slices, hard ones 2; the true class's logit margin is 2.5 − 2d + noise.</summary>
    private static (Tensor Probabilities, Tensor Labels, Tensor Patients) Patients(int count, int seed)
    {
        using var generator = new torch.Generator((ulong)seed);
        var difficulty = torch.randn(new long[] { count }, ScalarType.Float64, generator: generator);
        var slices = torch.where(difficulty.lt(0), torch.tensor(12L), torch.tensor(2L));
        var patients = torch.arange(count).repeat_interleave(slices);
        var d = difficulty.repeat_interleave(slices);
        var n = d.shape[0];
        var margin = d.mul(-2.0).add_(2.5).add_(torch.randn(new[] { n }, ScalarType.Float64, generator: generator).mul_(1.5));
        var labels = torch.rand(new[] { n }, ScalarType.Float64, generator: generator).lt(0.5).to(ScalarType.Int64);
        var correct = margin.sigmoid();
        var positive = torch.where(labels.eq(1), correct, correct.neg().add(1.0));
        var probabilities = torch.stack(new[] { positive.neg().add(1.0), positive }, 1);
        return (probabilities, labels, patients);
    }
}
