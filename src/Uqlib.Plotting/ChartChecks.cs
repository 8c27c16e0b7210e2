using System;
using System.Collections.Generic;

namespace Uqlib.Plotting;

/// <summary>Argument checks shared by the chart factories (numbers and tensors go through <see cref="Preconditions"/>).</summary>
internal static class ChartChecks
{
    /// <summary>Checks a method → result map: not null, at least one entry, named methods, no null result.</summary>
    public static void Results<TResult>(IReadOnlyDictionary<string, TResult>? results, string name)
        where TResult : class
    {
        Preconditions.NotNull(results, name);
        if (results!.Count == 0)
        {
            throw new ArgumentException($"{name} must hold at least one method; found none.", name);
        }

        foreach (var (method, result) in results)
        {
            if (string.IsNullOrWhiteSpace(method))
            {
                throw new ArgumentException($"{name} has a method with an empty name; every method needs a name for the legend.", name);
            }

            if (result is null)
            {
                throw new ArgumentException($"{name} has no result for method '{method}'.", name);
            }
        }
    }
}
