using System;
using System.Collections.Generic;
using System.Reflection;
using TorchSharp;

namespace Uqlib.Tests.TestSupport;

/// <summary>The argument convention checks, shared by the test projects (linked source): a refused argument is named by its public parameter name.</summary>
internal static class ArgumentChecks
{
    /// <summary>
    /// Calls every public constructor and method of the assembly once per non-nullable reference parameter, with <see langword="null"/> there and
    /// samples elsewhere, expecting <see cref="ArgumentNullException"/> naming that parameter.
    /// </summary>
    public static Outcome Null(Assembly assembly, Func<Type, string, object?> registry) =>
        Run(assembly, registry, PublicMembers.RejectsNull, _ => null, requireRefusal: true);

    /// <summary>
    /// Calls every public constructor and method of the assembly once per tensor, floating-point or integer parameter with an invalid value there
    /// (a rank-0 NaN tensor, NaN, <see cref="int.MinValue"/>) and samples elsewhere: where the call refuses it with an <see cref="ArgumentException"/>,
    /// the exception names that parameter; it never fails with another kind of exception. Calls that accept the value are not judged here.
    /// </summary>
    public static Outcome Invalid(Assembly assembly, Func<Type, string, object?> registry) =>
        Run(assembly, registry, p => InvalidValue(p.ParameterType) is not null, p => InvalidValue(p.ParameterType), requireRefusal: false);

    private static object? InvalidValue(Type type)
    {
        if (type == typeof(torch.Tensor))
        {
            return torch.tensor(float.NaN);
        }

        return Type.GetTypeCode(type) switch
        {
            TypeCode.Double => double.NaN,
            TypeCode.Int32 when !type.IsEnum => int.MinValue,
            TypeCode.Int64 when !type.IsEnum => long.MinValue,
            _ => null,
        };
    }

    /// <summary>Members whose other arguments (or whose instance) the registry cannot supply are skipped; those that refuse another parameter's sample first are inconclusive.</summary>
    private static Outcome Run(Assembly assembly, Func<Type, string, object?> registry, Func<ParameterInfo, bool> applies, Func<ParameterInfo, object?> bad, bool requireRefusal)
    {
        var outcome = new Outcome();
        foreach (var member in PublicMembers.Callables(assembly))
        {
            var parameters = member.GetParameters();
            for (var i = 0; i < parameters.Length; i++)
            {
                if (!applies(parameters[i]))
                {
                    continue;
                }

                using var scope = torch.NewDisposeScope();
                var target = member.IsStatic || member is ConstructorInfo ? null : registry(member.DeclaringType!, "instance");
                if (target is null && member is MethodInfo && !member.IsStatic)
                {
                    continue;
                }

                var arguments = new object?[parameters.Length];
                var complete = true;
                for (var j = 0; j < parameters.Length && complete; j++)
                {
                    complete = j == i || PublicMembers.TrySample(parameters[j], registry, out arguments[j]);
                }

                if (!complete)
                {
                    continue;
                }

                arguments[i] = bad(parameters[i]);
                var name = parameters[i].Name;
                var call = $"{PublicMembers.Describe(member)} with {name} = {arguments[i] ?? "null"}";
                var thrown = PublicMembers.Call(member, target, arguments);
                if (thrown is ArgumentException { ParamName: { } other } and not ArgumentNullException && other != name
                    && Array.Exists(parameters, p => p.Name == other))
                {
                    outcome.Inconclusive.Add($"{call}: the sample for {other} was refused first: {FirstLine(thrown.Message)}");
                }
                else if (thrown is null ? requireRefusal : !(requireRefusal ? thrown is ArgumentNullException : thrown is ArgumentException) || ((ArgumentException)thrown).ParamName != name)
                {
                    outcome.Wrong.Add($"{call}: "
                        + (thrown is null ? "no exception" : $"{thrown.GetType().Name} (ParamName {(thrown as ArgumentException)?.ParamName ?? "none"}): {FirstLine(thrown.Message)}"));
                }
                else
                {
                    outcome.Passed++;
                }

                (target as IDisposable)?.Dispose();
                foreach (var argument in arguments)
                {
                    (argument as IDisposable)?.Dispose();
                }
            }
        }

        return outcome;
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? message : message[..end];
    }

    /// <summary>What a check found: calls that named the wrong parameter (or none), the calls judged right, and the calls that could not be judged.</summary>
    internal sealed class Outcome
    {
        public List<string> Wrong { get; } = [];

        public List<string> Inconclusive { get; } = [];

        public int Passed { get; set; }
    }
}
