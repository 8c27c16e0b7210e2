using System;
using System.Collections.Generic;

namespace Uqlib.Samples.BiradsShape.Training;

/// <summary>How <see cref="ShapeTrainer"/> trains one fold model.</summary>
public sealed record TrainingOptions
{
    /// <summary>Gets the number of passes over the training slices.</summary>
    /// <value>The default value is 8; must be at least 1.</value>
    public int Epochs { get; init; } = 8;

    /// <summary>Gets the mini-batch size.</summary>
    /// <value>The default value is 64; must be at least 2 (batch normalisation needs two samples).</value>
    public int BatchSize { get; init; } = 64;

    /// <summary>Gets Adam's learning rate.</summary>
    /// <value>The default value is 0.002; must be in (0, 1].</value>
    public double LearningRate { get; init; } = 0.002;

    /// <summary>Gets a value indicating whether random training augmentation (<see cref="TrainingAugmentation"/>) is applied.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool Augment { get; init; }

    /// <summary>Gets the seed of the weights, the shuffles and the augmentation.</summary>
    /// <value>The default value is 0.</value>
    public int Seed { get; init; }

    /// <summary>Checks every value and reports all problems in one exception.</summary>
    /// <exception cref="ArgumentException">One or more values are out of range; the message lists each.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (Epochs < 1)
        {
            problems.Add($"Epochs must be at least 1; found {Epochs}.");
        }

        if (BatchSize < 2)
        {
            problems.Add($"BatchSize must be at least 2; found {BatchSize}.");
        }

        if (!(LearningRate > 0 && LearningRate <= 1))
        {
            problems.Add($"LearningRate must be in (0, 1]; found {LearningRate}.");
        }

        if (problems.Count != 0)
        {
            throw new ArgumentException("Invalid TrainingOptions: " + string.Join(" ", problems));
        }
    }
}
