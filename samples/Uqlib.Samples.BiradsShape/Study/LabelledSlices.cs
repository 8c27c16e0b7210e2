using System;
using System.Collections.Generic;
using Uqlib.Samples.BiradsShape.Data;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>The slices a study uses, with their binary classes and the patients' shapes. Owns the slices.</summary>
internal sealed class LabelledSlices : IDisposable
{
    internal LabelledSlices(SliceSet slices, int[] labels, IReadOnlyList<TumourShape> patientShapes, DatasetSummary summary)
    {
        Slices = slices;
        Labels = labels;
        PatientShapes = patientShapes;
        Summary = summary;
    }

    /// <summary>Gets the slices kept (ambiguous ones set aside, majority down-sampled where asked).</summary>
    internal SliceSet Slices { get; }

    /// <summary>Gets each kept slice's class: 0 round, 1 irregular.</summary>
    internal int[] Labels { get; }

    /// <summary>Gets every patient's tumour shape, including patients with no kept slice.</summary>
    internal IReadOnlyList<TumourShape> PatientShapes { get; }

    /// <summary>Gets what the set held at each step.</summary>
    internal DatasetSummary Summary { get; }

    public void Dispose() => Slices.Dispose();
}
