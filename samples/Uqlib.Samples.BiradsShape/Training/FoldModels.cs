using System;
using System.Collections.Generic;

namespace Uqlib.Samples.BiradsShape.Training;

/// <summary>The models of one cross-validation run, one per fold, each trained without that fold's patients: the sub-ensemble of the
/// seed study. Owns the networks.</summary>
public sealed class FoldModels : IDisposable
{
    internal FoldModels(IReadOnlyList<ShapeNet> networks, IReadOnlyList<IModel> models, IReadOnlyList<int> sliceFolds)
    {
        Networks = networks;
        Models = models;
        SliceFolds = sliceFolds;
    }

    /// <summary>Gets the trained networks, in evaluation mode; index = fold.</summary>
    public IReadOnlyList<ShapeNet> Networks { get; }

    /// <summary>Gets the networks as black-box models (<see cref="Models.TorchModuleModel"/>, multiclass logits, features from
    /// <see cref="ShapeNet.FeatureLayer"/>); index = fold. They are what the post-hoc estimators wrap.</summary>
    public IReadOnlyList<IModel> Models { get; }

    /// <summary>Gets each training slice's fold: model k never saw the slices of fold k.</summary>
    public IReadOnlyList<int> SliceFolds { get; }

    /// <summary>Gets the number of folds.</summary>
    public int Count => Models.Count;

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var network in Networks)
        {
            network.Dispose();
        }
    }
}
