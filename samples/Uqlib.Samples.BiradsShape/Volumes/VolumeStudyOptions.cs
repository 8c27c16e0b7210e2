using System;

namespace Uqlib.Samples.BiradsShape.Volumes;

/// <summary>The sizes of the 3-D segmentation study: patients, volume and patch sizes, training length.</summary>
public sealed record VolumeStudyOptions
{
    /// <summary>Gets the preset for CI and smoke tests: seconds, not minutes (two calibration volumes allow α ≥ 1/3, hence α = 0.4).</summary>
    public static VolumeStudyOptions Quick { get; } = new()
    {
        TrainPatients = 6, TestPatients = 4, VolumeSize = 32, PatchSize = 16, PatchesPerVolume = 6, Epochs = 2, RiskAlpha = 0.4,
    };

    /// <summary>Gets the folder the NIfTI files, maps and report are written to.</summary>
    public string OutputDirectory { get; init; } = "artifacts/birads-volumes";

    /// <summary>Gets the seed of every random step.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Gets the number of training patients (internal scanner).</summary>
    public int TrainPatients { get; init; } = 16;

    /// <summary>Gets the number of test patients (the external, domain-shifted scanner).</summary>
    public int TestPatients { get; init; } = 12;

    /// <summary>Gets the side of each cubic volume, in voxels, in [16, 128].</summary>
    public int VolumeSize { get; init; } = 48;

    /// <summary>Gets the side of the cubic training patches and sliding windows, at most the volume size.</summary>
    public int PatchSize { get; init; } = 24;

    /// <summary>Gets the number of patches drawn from each training volume per epoch.</summary>
    public int PatchesPerVolume { get; init; } = 24;

    /// <summary>Gets the number of training epochs.</summary>
    public int Epochs { get; init; } = 16;

    /// <summary>
    /// Gets the level α of conformal risk control: the threshold calibrated on half of the external volumes keeps the expected per-volume
    /// false-negative rate at most α; in (0, 1), default 0.2. With n calibration volumes it must be at least 1/(n + 1).
    /// </summary>
    public double RiskAlpha { get; init; } = 0.2;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (TrainPatients < 2 || TestPatients < 2 || VolumeSize is < 16 or > 128 || PatchSize < 8 || PatchSize > VolumeSize || PatchesPerVolume < 1 || Epochs < 1
            || !(RiskAlpha > 0 && RiskAlpha < 1))
        {
            throw new ArgumentException($"Invalid volume study options: {this}.");
        }
    }
}
