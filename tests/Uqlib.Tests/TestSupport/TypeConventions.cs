using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;

namespace Uqlib.Tests.TestSupport;

/// <summary>Type-level conventions shared by the test projects (linked source).</summary>
internal static class TypeConventions
{
    /// <summary>Gets the public classes of the assembly that are neither sealed nor static (a static class is abstract and sealed) and not listed as designed for inheritance.</summary>
    public static IEnumerable<string> UnsealedClasses(Assembly assembly, IReadOnlyDictionary<Type, string> designedForInheritance) =>
        assembly.GetExportedTypes()
            .Where(t => t.IsClass && !t.IsSealed && !designedForInheritance.ContainsKey(t) && !t.IsSubclassOf(typeof(Delegate)))
            .Select(t => t.FullName!)
            .Order(StringComparer.Ordinal);

    /// <summary>
    /// Gets the fitted types of the assembly: exported classes with a public static method named <c>Fit…</c> that returns the type itself,
    /// or a public static <c>Load</c> that returns the type itself beside a public instance <c>Save</c> (a fitted value read back from a file).
    /// </summary>
    public static IReadOnlyList<Type> FittedTypes(Assembly assembly) =>
        assembly.GetExportedTypes()
            .Where(t => t.IsClass && !t.IsAbstract && (ReturnsItself(t, name => name.StartsWith("Fit", StringComparison.Ordinal))
                || (ReturnsItself(t, name => name == "Load") && t.GetMethod("Save", BindingFlags.Public | BindingFlags.Instance, [typeof(string)]) is not null)))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToList();

    /// <summary>Gets the fitted types (see <see cref="FittedTypes"/>) that do not declare their own <see cref="object.ToString"/>.</summary>
    public static IEnumerable<string> FittedTypesWithoutToString(Assembly assembly) =>
        FittedTypes(assembly)
            .Where(t => t.GetMethod(nameof(ToString), BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes)!.DeclaringType != t)
            .Select(t => t.FullName!);

    private static bool ReturnsItself(Type type, Func<string, bool> name) =>
        type.GetMethods(BindingFlags.Public | BindingFlags.Static).Any(m => name(m.Name) && m.ReturnType == type);

    /// <summary>
    /// The names of the long-running families: every public method (static or instance) of an exported type whose name starts with
    /// <c>Fit</c> (fits), <c>EstimateAll</c> (passes over data), <c>Search</c> (searches) or <c>Merge</c> (merges of accumulated states), or
    /// is named <c>Build</c> (a cache built by a pass over data).
    /// </summary>
    public static bool IsLongRunning(string name) =>
        name.StartsWith("Fit", StringComparison.Ordinal) || name.StartsWith("EstimateAll", StringComparison.Ordinal)
        || name.StartsWith("Search", StringComparison.Ordinal) || name.StartsWith("Merge", StringComparison.Ordinal) || name == "Build";

    /// <summary>
    /// Gets the public long-running methods (see <see cref="IsLongRunning"/>) of the assembly that do not take
    /// <c>(IProgress&lt;T&gt;? progress, CancellationToken cancellationToken)</c> as their last two parameters and have no overload of the same
    /// name that does so after the same leading parameters (the convenience overload <c>Fit(FitData)</c> beside
    /// <c>Fit(FitData, progress, cancellationToken)</c>). Each is written <c>Type.Method(ParameterTypes)</c>.
    /// </summary>
    public static IEnumerable<string> LongRunningWithoutProgressAndCancellation(Assembly assembly) =>
        LongRunningMethods(assembly)
            .Where(m => !EndsWithProgressAndCancellation(m) && !m.DeclaringType!.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Any(o => o.Name == m.Name && EndsWithProgressAndCancellation(o) && Extends(o, m)))
            .Select(Describe)
            .Order(StringComparer.Ordinal);

    /// <summary>Gets every public long-running method of the assembly (see <see cref="IsLongRunning"/>).</summary>
    public static IEnumerable<MethodInfo> LongRunningMethods(Assembly assembly) =>
        assembly.GetExportedTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => !m.IsSpecialName && IsLongRunning(m.Name));

    /// <summary>Writes a method as <c>Type.Method(ParameterTypes)</c>.</summary>
    public static string Describe(MethodInfo method) =>
        $"{method.DeclaringType!.Name}.{method.Name}({string.Join(", ", method.GetParameters().Select(p => p.ParameterType.Name))})";

    private static bool EndsWithProgressAndCancellation(MethodInfo method)
    {
        var parameters = method.GetParameters();
        return parameters.Length >= 2
            && parameters[^2].ParameterType.IsGenericType && parameters[^2].ParameterType.GetGenericTypeDefinition() == typeof(IProgress<>)
            && parameters[^1].ParameterType == typeof(System.Threading.CancellationToken) && parameters[^1].Name == "cancellationToken"
            && parameters[^1].HasDefaultValue;
    }

    private static bool Extends(MethodInfo longer, MethodInfo shorter)
    {
        var a = longer.GetParameters();
        var b = shorter.GetParameters();
        return a.Length > b.Length && b.Select((p, i) => p.ParameterType == a[i].ParameterType).All(same => same);
    }
}
