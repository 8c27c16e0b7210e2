using System;
using System.Collections.Generic;
using System.Reflection;
using TorchSharp;

namespace Uqlib.Tests.TestSupport;

/// <summary>The null-argument convention check, shared by the test projects (linked source).</summary>
internal static class NullArguments
{
    /// <summary>
    /// Calls every public constructor and method of the assembly once per non-nullable reference parameter, with <see langword="null"/> there and
    /// samples elsewhere; returns the calls that did not throw <see cref="ArgumentNullException"/> naming that parameter, and how many were checked.
    /// Members whose other arguments (or whose instance) the registry cannot supply are not checked, nor those that refuse a sample
    /// given for another parameter first (an <see cref="ArgumentException"/> naming that other parameter): those are counted as inconclusive.
    /// </summary>
    public static (List<string> Wrong, int Checked, List<string> Inconclusive) Check(Assembly assembly, Func<Type, string, object?> registry)
    {
        var wrong = new List<string>();
        var inconclusive = new List<string>();
        var count = 0;
        foreach (var member in PublicMembers.Callables(assembly))
        {
            var parameters = member.GetParameters();
            for (var i = 0; i < parameters.Length; i++)
            {
                if (!PublicMembers.RejectsNull(parameters[i]))
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

                var thrown = PublicMembers.Call(member, target, arguments);
                if (thrown is ArgumentException { ParamName: { } other } and not ArgumentNullException && other != parameters[i].Name
                    && Array.Exists(parameters, p => p.Name == other))
                {
                    inconclusive.Add($"{PublicMembers.Describe(member)} with {parameters[i].Name} null: the sample for {other} was refused first: {FirstLine(thrown.Message)}");
                }
                else if (thrown is not ArgumentNullException nullException || nullException.ParamName != parameters[i].Name)
                {
                    wrong.Add($"{PublicMembers.Describe(member)} with {parameters[i].Name} null: "
                        + (thrown is null ? "no exception" : $"{thrown.GetType().Name} (ParamName {(thrown as ArgumentException)?.ParamName ?? "none"}): {FirstLine(thrown.Message)}"));
                }
                else
                {
                    count++;
                }

                (target as IDisposable)?.Dispose();
                foreach (var argument in arguments)
                {
                    (argument as IDisposable)?.Dispose();
                }
            }
        }

        return (wrong, count, inconclusive);
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? message : message[..end];
    }
}
