using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;
using static TorchSharp.torch;

namespace Uqlib.Tests.TestSupport;

/// <summary>
/// Reflection over a package's public surface for the convention tests (as NodaTime's MutabilityTest and null-argument tests do):
/// its public types, their public members, and sample arguments to call them with. Linked into every test project.
/// </summary>
internal static class PublicMembers
{
    private static readonly NullabilityInfoContext Nullability = new();

    /// <summary>Gets the package's public, non-abstract classes that implement <see cref="IDisposable"/>.</summary>
    public static IEnumerable<Type> DisposableTypes(Assembly assembly) =>
        assembly.GetExportedTypes().Where(t => t.IsClass && !t.IsAbstract && typeof(IDisposable).IsAssignableFrom(t)).OrderBy(t => t.FullName, StringComparer.Ordinal);

    /// <summary>
    /// Gets the public instance methods and property getters the type declares, other than <see cref="IDisposable.Dispose"/>, the compiler's
    /// record members and those returning a span (reflection cannot call them: test those directly).
    /// </summary>
    public static IEnumerable<MethodInfo> InstanceMembers(Type type) =>
        type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => m.Name != nameof(IDisposable.Dispose) && !IsRecordMember(m) && !m.ReturnType.IsByRefLike
                && (!m.IsSpecialName || m.Name.StartsWith("get_", StringComparison.Ordinal)))
            .OrderBy(m => m.ToString(), StringComparer.Ordinal);

    /// <summary>
    /// Gets the public constructors and methods (static and instance) of every public type, other than property accessors, the compiler's record
    /// members and the constructors of exceptions (which, as the BCL's, accept a null message).
    /// </summary>
    public static IEnumerable<MethodBase> Callables(Assembly assembly) =>
        assembly.GetExportedTypes()
            .Where(t => !t.IsInterface && !t.IsSubclassOf(typeof(Delegate)) && !t.IsEnum && !t.ContainsGenericParameters)
            .SelectMany(t => (typeof(Exception).IsAssignableFrom(t) ? [] : t.GetConstructors().Cast<MethodBase>())
                .Concat(t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                    .Where(m => !m.IsSpecialName && !IsRecordMember(m) && !m.ContainsGenericParameters)))
            .Where(m => m.GetParameters().All(p => !p.ParameterType.IsByRef && !p.ParameterType.IsByRefLike && !p.ParameterType.IsPointer));

    /// <summary>Whether a parameter is a reference type that the API declares non-nullable.</summary>
    public static bool RejectsNull(ParameterInfo parameter) =>
        !parameter.ParameterType.IsValueType && Nullability.Create(parameter).WriteState == NullabilityState.NotNull;

    /// <summary>
    /// Makes an instance, disposes it, calls every public instance member with sample arguments, and disposes it again; returns the members that
    /// did not throw <see cref="ObjectDisposedException"/> naming the type, and whether the second <c>Dispose</c> threw.
    /// </summary>
    public static List<string> UseAfterDispose(Type type, Func<object> factory, Func<Type, string, object?> registry)
    {
        var instance = (IDisposable)factory();
        instance.Dispose();
        var wrong = new List<string>();
        foreach (var member in InstanceMembers(type))
        {
            var arguments = member.GetParameters().Select(p => TrySample(p, registry, out var value) ? value : null).ToArray();
            var thrown = Call(member, instance, arguments);
            if (thrown is not ObjectDisposedException disposed || disposed.ObjectName != type.FullName)
            {
                wrong.Add($"{Describe(member)}: {thrown?.GetType().Name ?? "no exception"} {thrown?.Message}");
            }
        }

        try
        {
            instance.Dispose();
        }
        catch (Exception exception)
        {
            wrong.Add($"a second Dispose threw {exception.GetType().Name}: {exception.Message}");
        }

        return wrong;
    }

    /// <summary>Calls a method or constructor, returning the exception it threw (unwrapped), or <see langword="null"/> when it returned.</summary>
    public static Exception? Call(MethodBase member, object? target, object?[] arguments)
    {
        try
        {
            var result = member is ConstructorInfo constructor ? constructor.Invoke(arguments) : member.Invoke(target, arguments);
            (result as IDisposable)?.Dispose();
            return null;
        }
        catch (TargetInvocationException exception)
        {
            return exception.InnerException;
        }
    }

    /// <summary>Tells a member by its declaring type and signature, for messages.</summary>
    public static string Describe(MethodBase member) => $"{member.DeclaringType!.FullName}.{(member is ConstructorInfo ? "ctor" : member.Name)}({string.Join(", ", member.GetParameters().Select(p => p.ParameterType.Name + " " + p.Name))})";

    /// <summary>
    /// A valid-looking value for a parameter, from the package's sample registry first, then by type; <see langword="false"/> when there is none.
    /// Tensors are (4, 3) probabilities, or (4) int64 labels in [0, 2] for parameters whose name speaks of labels.
    /// </summary>
    public static bool TrySample(ParameterInfo parameter, Func<Type, string, object?> registry, out object? value)
    {
        var type = parameter.ParameterType;
        value = registry(type, parameter.Name!);
        if (value is not null)
        {
            return true;
        }

        if (type == typeof(Tensor))
        {
            value = parameter.Name!.Contains("label", StringComparison.OrdinalIgnoreCase)
                ? tensor(new long[] { 0, 1, 2, 0 })
                : tensor(new float[] { 0.7f, 0.2f, 0.1f, 0.1f, 0.8f, 0.1f, 0.3f, 0.3f, 0.4f, 0.5f, 0.25f, 0.25f }).reshape(4, 3);
            return true;
        }

        if (type == typeof(string))
        {
            value = Path.Combine(Path.GetTempPath(), "uqlib-convention-" + parameter.Name);
            return true;
        }

        if (type.IsEnum)
        {
            value = Enum.GetValues(type).GetValue(0);
            return true;
        }

        if (type.IsArray || (type.IsGenericType && type.GetGenericTypeDefinition() is var definition
            && (definition == typeof(IEnumerable<>) || definition == typeof(IReadOnlyList<>) || definition == typeof(IReadOnlyCollection<>) || definition == typeof(IList<>))))
        {
            var element = type.IsArray ? type.GetElementType()! : type.GetGenericArguments()[0];
            var items = new ArrayList();
            for (var i = 0; i < 4; i++)
            {
                if (!TrySampleOf(element, parameter.Name!, i, registry, out var item))
                {
                    return false;
                }

                items.Add(item);
            }

            value = items.ToArray(element);
            return true;
        }

        if (Nullable.GetUnderlyingType(type) is not null)
        {
            value = null;
            return true;
        }

        if (TrySampleOf(type, parameter.Name!, 1, registry, out value))
        {
            return true;
        }

        // A nullable reference parameter the registry has nothing for: null is a valid argument.
        value = null;
        return Nullability.Create(parameter).WriteState == NullabilityState.Nullable;
    }

    private static bool TrySampleOf(Type type, string name, int index, Func<Type, string, object?> registry, out object? value)
    {
        value = registry(type, name);
        if (value is not null)
        {
            return true;
        }

        value = Type.GetTypeCode(type) switch
        {
            TypeCode.Int32 => index % 3,
            TypeCode.Int64 => (long)(index % 3),
            TypeCode.Double => 0.1 + (0.2 * index),
            TypeCode.Single => 0.1f + (0.2f * index),
            TypeCode.Boolean => index % 2 == 1,
            TypeCode.String => "s" + index,
            _ => null,
        };
        if (value is not null)
        {
            if (type == typeof(int) || type == typeof(long))
            {
                // Counts and sizes: 2 rather than 0 when the parameter is a scalar.
                value = index == 1 ? Convert.ChangeType(2, type, System.Globalization.CultureInfo.InvariantCulture) : value;
            }

            return true;
        }

        if (type == typeof(CancellationToken))
        {
            value = CancellationToken.None;
            return true;
        }

        if (type.IsEnum)
        {
            value = Enum.GetValues(type).GetValue(0);
            return true;
        }

        var fallback = type.GetProperty("Default", BindingFlags.Public | BindingFlags.Static);
        if (fallback is not null && fallback.PropertyType == type)
        {
            value = fallback.GetValue(null);
            return true;
        }

        if (type.IsClass && !type.IsAbstract && type.GetConstructor(Type.EmptyTypes) is { } parameterless)
        {
            value = parameterless.Invoke(null);
            return true;
        }

        if (type.IsValueType)
        {
            value = Activator.CreateInstance(type);
            return true;
        }

        return false;
    }

    private static bool IsRecordMember(MethodInfo method) =>
        method.Name is "<Clone>$" or "PrintMembers" or "Deconstruct" or "ToString" or "GetHashCode" or "Equals" or "op_Equality" or "op_Inequality";
}
