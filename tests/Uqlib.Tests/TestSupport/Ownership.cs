using System;
using System.Linq;
using System.Reflection;
using FluentAssertions;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Tests.TestSupport;

/// <summary>Checks that an immutable owner of tensors hands out only copies, and that after its Dispose every public member throws <see cref="ObjectDisposedException"/> naming its type.</summary>
internal static class Ownership
{
    /// <summary>Edits and disposes what each accessor returns, checks the scores are unchanged, then disposes the owner and checks every member refuses.</summary>
    /// <param name="owner">The owner; disposed here.</param>
    /// <param name="score">Scores something with the owner (a new tensor).</param>
    /// <param name="accessors">Members that hand out tensors or tensor owners.</param>
    public static void ShouldHandOutCopies_AndRefuseUseAfterDispose(IDisposable owner, Func<Tensor> score, params Func<object>[] accessors)
    {
        var before = Values(score);
        foreach (var accessor in accessors)
        {
            var copy = accessor();
            if (copy is Tensor tensor)
            {
                tensor.mul_(0).add_(7);
            }

            ((IDisposable)copy).Dispose();
        }

        Values(score).Select(BitConverter.DoubleToInt64Bits).Should().Equal(before.Select(BitConverter.DoubleToInt64Bits),
            "editing or disposing what the owner handed out must not change it");

        owner.Dispose();
        var name = owner.GetType().FullName;
        foreach (var property in owner.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            FluentActions.Invoking(() => property.GetValue(owner)).Should().Throw<TargetInvocationException>()
                .WithInnerException<ObjectDisposedException>().Which.ObjectName.Should().Be(name, $"{property.Name} is used after Dispose");
        }

        FluentActions.Invoking(score).Should().Throw<ObjectDisposedException>().Which.ObjectName.Should().Be(name);
        var save = owner.GetType().GetMethod("Save", [typeof(string)]);
        if (save is not null)
        {
            FluentActions.Invoking(() => save.Invoke(owner, ["unused.uqlib"])).Should().Throw<TargetInvocationException>()
                .WithInnerException<ObjectDisposedException>().Which.ObjectName.Should().Be(name);
        }

        FluentActions.Invoking(owner.Dispose).Should().NotThrow("Dispose is idempotent");
    }

    private static double[] Values(Func<Tensor> score)
    {
        using var result = score();
        return Golden.ToArray(result);
    }
}
