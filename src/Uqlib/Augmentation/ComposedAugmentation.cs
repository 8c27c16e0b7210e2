using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>Several augmentations applied in order; inverted by the geometric ones' inverses in reverse order.</summary>
internal sealed class ComposedAugmentation : IAugmentation
{
    private readonly IAugmentation[] parts;

    public ComposedAugmentation(IReadOnlyList<IAugmentation> parts)
    {
        Preconditions.NotNull(parts, nameof(parts));
        if (parts.Count == 0)
        {
            throw new ArgumentException("A composition needs at least one augmentation; found none.", nameof(parts));
        }

        this.parts = new IAugmentation[parts.Count];
        for (var i = 0; i < parts.Count; i++)
        {
            this.parts[i] = parts[i] ?? throw new ArgumentNullException(nameof(parts), $"parts[{i}] is null.");
        }

        IsGeometric = this.parts.Any(p => p.IsGeometric);
        Name = "Compose(" + string.Join(", ", this.parts.Select(p => p.Name)) + ")";
    }

    public string Name { get; }

    public bool IsGeometric { get; }

    public Tensor Apply(Tensor inputs)
    {
        SpatialTensors.Check(inputs, nameof(inputs));
        using var scope = torch.NewDisposeScope();
        var x = inputs;
        foreach (var part in parts)
        {
            x = part.Apply(x);
        }

        return (ReferenceEquals(x, inputs) ? x.alias() : x).MoveToOuterDisposeScope();
    }

    public Tensor Invert(Tensor outputs)
    {
        Preconditions.NotNull(outputs, nameof(outputs));
        if (IsGeometric)
        {
            SpatialTensors.Check(outputs, nameof(outputs));
        }

        using var scope = torch.NewDisposeScope();
        var x = outputs;
        for (var i = parts.Length - 1; i >= 0; i--)
        {
            if (parts[i].IsGeometric)
            {
                x = parts[i].Invert(x);
            }
        }

        return (ReferenceEquals(x, outputs) ? x.alias() : x).MoveToOuterDisposeScope();
    }
}
