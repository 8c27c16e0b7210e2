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
}
