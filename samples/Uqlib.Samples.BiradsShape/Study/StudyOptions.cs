using System;
using System.Collections.Generic;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>The settings of one run of the study.</summary>
public sealed record StudyOptions
{
    /// <summary>Gets the settings of <c>--quick</c>: a small study that finishes in well under a minute, for CI and tests.</summary>
    public static StudyOptions Quick { get; } = new()
    {
        Patients = 30,
        ExternalPatients = 10,
        ValidationPatients = 8,
        TestPatients = 8,
        Epochs = 2,
        RotationsPerPatient = 4,
        SlicesPerRotation = 3,
        VolumeSize = 24,
    };

    /// <summary>Gets the folder the report is written to (created when missing).</summary>
    /// <value>The default value is <c>artifacts/birads-report</c> (relative to the working directory; <c>artifacts/</c> is ignored by git).</value>
    public string OutputDirectory { get; init; } = "artifacts/birads-report";

    /// <summary>Gets the seed of every random step.</summary>
    /// <value>The default value is 42.</value>
    public int Seed { get; init; } = 42;

    /// <summary>Gets the number of internal patients (the seed study had 103).</summary>
    /// <value>The default value is 103; must be at least <see cref="Folds"/> × 2.</value>
    public int Patients { get; init; } = 103;

    /// <summary>Gets the number of external patients, from another "scanner" (the seed study had 31).</summary>
    /// <value>The default value is 31; must be at least 2.</value>
    public int ExternalPatients { get; init; } = 31;

    /// <summary>Gets the number of validation patients: same scanner, held out from every fold model; temperature scaling, the test-time
    /// augmentation policy and the z-score combination are fitted on them.</summary>
    /// <value>The default value is 25; must be at least 2.</value>
    public int ValidationPatients { get; init; } = 25;

    /// <summary>Gets the number of internal test patients: same scanner, held out from every fold model and every fit; the internal
    /// failure-detection figures come from them.</summary>
    /// <value>The default value is 25; must be at least 2.</value>
    public int TestPatients { get; init; } = 25;

    /// <summary>Gets the training epochs of each fold model.</summary>
    /// <value>The default value is 8; must be in [1, 1000].</value>
    public int Epochs { get; init; } = 8;

    /// <summary>Gets the number of cross-validation folds.</summary>
    /// <value>The default value is 5; must be in [2, 10].</value>
    public int Folds { get; init; } = 5;

    /// <summary>Gets the random 3-D rotations of each tumour.</summary>
    /// <value>The default value is 8; must be in [1, 64].</value>
    public int RotationsPerPatient { get; init; } = 8;

    /// <summary>Gets the parallel axial planes cut from each rotated volume.</summary>
    /// <value>The default value is 5; must be in [1, 16].</value>
    public int SlicesPerRotation { get; init; } = 5;

    /// <summary>Gets the side of each synthetic volume and slice, in voxels.</summary>
    /// <value>The default value is 32; must be a multiple of 8 in [16, 64].</value>
    public int VolumeSize { get; init; } = 32;

    /// <summary>Gets the TorchSharp device that trains and runs the models (<c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>).</summary>
    /// <value>The default value is <c>cpu</c>.</value>
    public string Device { get; init; } = "cpu";

    /// <summary>Checks every value and reports all problems in one exception.</summary>
    /// <exception cref="ArgumentException">One or more values are out of range; the message lists each.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(OutputDirectory))
        {
            problems.Add("OutputDirectory must be a folder path; found an empty string.");
        }

        if (Folds is < 2 or > 10)
        {
            problems.Add($"Folds must be in [2, 10]; found {Folds}.");
        }

        if (Patients < 2 * Folds || Patients > 10_000)
        {
            problems.Add($"Patients must be in [{2 * Folds}, 10000] (two per fold at least); found {Patients}.");
        }

        if (ExternalPatients is < 2 or > 10_000)
        {
            problems.Add($"ExternalPatients must be in [2, 10000]; found {ExternalPatients}.");
        }

        if (ValidationPatients is < 2 or > 10_000)
        {
            problems.Add($"ValidationPatients must be in [2, 10000]; found {ValidationPatients}.");
        }

        if (TestPatients is < 2 or > 10_000)
        {
            problems.Add($"TestPatients must be in [2, 10000]; found {TestPatients}.");
        }

        if (Epochs is < 1 or > 1000)
        {
            problems.Add($"Epochs must be in [1, 1000]; found {Epochs}.");
        }

        if (RotationsPerPatient is < 1 or > 64)
        {
            problems.Add($"RotationsPerPatient must be in [1, 64]; found {RotationsPerPatient}.");
        }

        if (SlicesPerRotation is < 1 or > 16)
        {
            problems.Add($"SlicesPerRotation must be in [1, 16]; found {SlicesPerRotation}.");
        }

        if (VolumeSize is < 16 or > 64 || VolumeSize % 8 != 0)
        {
            problems.Add($"VolumeSize must be a multiple of 8 in [16, 64]; found {VolumeSize}.");
        }

        if (string.IsNullOrWhiteSpace(Device))
        {
            problems.Add("Device must be cpu, cuda or cuda:N; found an empty string.");
        }

        if (problems.Count != 0)
        {
            throw new ArgumentException("Invalid StudyOptions: " + string.Join(" ", problems));
        }
    }
}
