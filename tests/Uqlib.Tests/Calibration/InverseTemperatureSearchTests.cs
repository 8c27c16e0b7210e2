using System;
using FluentAssertions;
using Uqlib.Calibration;
using Xunit;

namespace Uqlib.Tests.Calibration;

public sealed class InverseTemperatureSearchTests
{
    /// <summary>A smooth convex objective with its minimum at <paramref name="optimum"/>: f(β) = cosh(β − optimum), f′ = sinh, f″ = cosh.</summary>
    private static (double Beta, double Nll, int Evaluations) Solve(double optimum, double start, double minBeta, double maxBeta)
    {
        var search = new InverseTemperatureSearch(start, minBeta, maxBeta);
        var evaluations = 0;
        while (!search.Done)
        {
            var x = search.Beta - optimum;
            search.Update(Math.Cosh(x), Math.Sinh(x), Math.Cosh(x));
            evaluations++;
        }

        return (search.Beta, search.Nll, evaluations);
    }

    [Theory]
    [InlineData(0.7, 1.0)]
    [InlineData(3.0, 0.01)]
    [InlineData(0.05, 2.0)]
    public void Update_InteriorOptimum_ConvergesToItInFewSteps(double optimum, double start)
    {
        var (beta, nll, evaluations) = Solve(optimum, start, 0.01, 100);

        beta.Should().BeApproximately(optimum, 1e-10 * optimum);
        nll.Should().BeApproximately(1.0, 1e-15, "f at the optimum is cosh(0)");
        evaluations.Should().BeLessThan(15);
    }

    [Fact]
    public void Update_OptimumAboveTheRange_StopsExactlyOnTheUpperBound()
    {
        var (beta, nll, _) = Solve(500, 1, 0.01, 100);

        beta.Should().Be(100);
        nll.Should().Be(Math.Cosh(100 - 500.0));
    }

    [Fact]
    public void Update_OptimumBelowTheRange_StopsExactlyOnTheLowerBound()
    {
        var (beta, _, _) = Solve(-3, 1, 0.01, 100);

        beta.Should().Be(0.01);
    }

    [Fact]
    public void Update_FlatObjective_EndsAtItsStart()
    {
        var search = new InverseTemperatureSearch(2, 0.01, 100);

        search.Update(0.5, 0, 0);

        search.Done.Should().BeTrue();
        search.Beta.Should().Be(2);
        search.Nll.Should().Be(0.5);
    }
}
