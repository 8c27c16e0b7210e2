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
}
