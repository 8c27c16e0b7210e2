using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Combination;
using Uqlib.Tests.TestSupport;
using static TorchSharp.torch;

namespace Uqlib.Tests.Combination;

/// <summary>The golden data of make_combination_reference.py as tensors, plus checks shared by the combiner tests.</summary>
internal sealed class CombinationData : IDisposable
{
    public CombinationData()
    {
        Reference = Golden.Load("combination_reference.json");
        var methods = Reference.GetProperty("methods").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Validation = methods.ToDictionary(m => m, m => Golden.VectorTensor(Reference.GetProperty("validation").GetProperty(m)));
        Test = methods.ToDictionary(m => m, m => Golden.VectorTensor(Reference.GetProperty("test").GetProperty(m)));
        ValidationFailures = torch.tensor(Golden.Vector(Reference.GetProperty("validationFailures")).Select(v => v == 1).ToArray());
    }

    public JsonElement Reference { get; }

    public Dictionary<string, Tensor> Validation { get; }

    public Dictionary<string, Tensor> Test { get; }

    public Tensor ValidationFailures { get; }

    public double[] Expected(string name) => Golden.Vector(Reference.GetProperty(name));

    public static void RoundTrips(ICombiner combiner, Func<string, ICombiner> load, IReadOnlyDictionary<string, Tensor> scores)
    {
        var loaded = SavedFiles.RoundTrip(combiner.Save, load);
        using var before = combiner.Combine(scores);
        using var after = loaded.Combine(scores);
        loaded.Methods.Should().Equal(combiner.Methods);
        Golden.ToArray(after).Should().Equal(Golden.ToArray(before));

        var kind = combiner.GetType().Name;
        SavedFiles.ShouldRefuseCorruptions(combiner.Save, load, kind);
        SavedFiles.ShouldRefuseFields("{\"methodz\": [\"a\"]}", load, kind, "\"methods\" is missing");
        SavedFiles.ShouldRefuseFields("{\"methods\": [\"a\", 3]}", load, kind, "\"methods[1]\" is not a string");
        SavedFiles.ShouldRefuseFields(
            "{\"methods\": [\"a\"], \"means\": [0.5], \"standardDeviations\": [1], \"weights\": [1, 2]}", load, kind, "\"weights\" is not an array of 1 numbers");
    }

    public static void RejectsBadScores(ICombiner combiner, IReadOnlyDictionary<string, Tensor> scores)
    {
        var methods = combiner.Methods;
        var missing = scores.Where(p => p.Key != methods[0]).ToDictionary(p => p.Key, p => p.Value);
        var extra = scores.ToDictionary(p => p.Key, p => p.Value);
        extra["unknown"] = scores[methods[0]];
        using var nan = scores[methods[0]].clone();
        nan[0] = torch.tensor(double.NaN);
        using var inf = scores[methods[0]].clone();
        inf[1] = torch.tensor(double.NegativeInfinity);
        using var shorter = scores[methods[0]].narrow(0, 0, 3);
        using var empty = torch.zeros(0, dtype: ScalarType.Float64);
        Dictionary<string, Tensor> With(Tensor t)
        {
            var d = scores.ToDictionary(p => p.Key, p => p.Value);
            d[methods[0]] = t;
            return d;
        }

        FluentActions.Invoking(() => combiner.Combine(missing)).Should().Throw<ArgumentException>().WithParameterName("scores").WithMessage($"*missing \"{methods[0]}\"*");
        FluentActions.Invoking(() => combiner.Combine(extra)).Should().Throw<ArgumentException>().WithParameterName("scores").WithMessage("*not fitted \"unknown\"*");
        FluentActions.Invoking(() => combiner.Combine(With(nan))).Should().Throw<ArgumentException>().WithMessage("*NaN*");
        FluentActions.Invoking(() => combiner.Combine(With(inf))).Should().Throw<ArgumentException>().WithMessage("*infinite*");
        FluentActions.Invoking(() => combiner.Combine(With(shorter))).Should().Throw<ArgumentException>().WithMessage("*has 3;*must match*");
        FluentActions.Invoking(() => combiner.Combine(With(empty))).Should().Throw<ArgumentException>().WithMessage("*empty*");
        FluentActions.Invoking(() => combiner.Combine(null!)).Should().Throw<ArgumentNullException>();
    }

    public void Dispose()
    {
        foreach (var t in Validation.Values.Concat(Test.Values))
        {
            t.Dispose();
        }

        ValidationFailures.Dispose();
    }
}
