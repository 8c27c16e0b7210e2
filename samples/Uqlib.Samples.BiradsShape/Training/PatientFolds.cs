using System;
using System.Collections.Generic;
using Uqlib.Samples.BiradsShape.Data;

namespace Uqlib.Samples.BiradsShape.Training;

/// <summary>Assigns patients (not slices) to cross-validation folds, stratified by tumour shape, so that no patient is in two folds.</summary>
public static class PatientFolds
{
    /// <summary>Assigns each patient a fold: each shape's patients are shuffled with the seed and dealt round-robin.</summary>
    /// <param name="shapes">Each patient's tumour shape.</param>
    /// <param name="folds">The number of folds, at least 2 and at most the number of patients.</param>
    /// <param name="seed">The seed of the shuffle.</param>
    /// <returns>Each patient's fold, in [0, <paramref name="folds"/>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="shapes"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="folds"/> is out of range.</exception>
    public static int[] Assign(IReadOnlyList<TumourShape> shapes, int folds, int seed)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        if (folds < 2 || folds > shapes.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(folds), folds, $"folds must be in [2, {shapes.Count}] (the number of patients); found {folds}.");
        }

        var random = new Random(SeedMixer.Mix(seed));
        var assignment = new int[shapes.Count];
        var next = 0;
        foreach (var shape in new[] { TumourShape.Irregular, TumourShape.Round })
        {
            var patients = new List<int>();
            for (var p = 0; p < shapes.Count; p++)
            {
                if (shapes[p] == shape)
                {
                    patients.Add(p);
                }
            }

            var order = patients.ToArray();
            random.Shuffle(order);
            foreach (var patient in order)
            {
                assignment[patient] = next;
                next = (next + 1) % folds;
            }
        }

        return assignment;
    }
}
