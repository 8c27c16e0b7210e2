using System;

namespace Uqlib.Calibration;

/// <summary>
/// The one solver of the temperature-scaling problem: finds β = 1/T in [minBeta, maxBeta] minimising the negative log-likelihood
/// f(β) = mean_i [logsumexp_c(β·z_ic) − β·z_iy] of softmax(β·z) (Guo et al. 2017), by a safeguarded Newton iteration on f′ = 0.
/// </summary>
/// <remarks>
/// f is convex in β: f′(β) = mean_i (E_p[z_i] − z_iy) and f″(β) = mean_i Var_p[z_i] ≥ 0 under p = softmax(β·z_i). Every evaluated point
/// narrows a bracket [lo, hi] around the root of the increasing f′; a Newton step leaving it is replaced by bisection, and a step past a
/// bound nobody has evaluated goes to the bound itself, where the optimum may lie. A Newton step smaller than
/// <see cref="NewtonAcceptance"/> (relative) is taken and ends the search: by quadratic convergence β is then exact to about 10⁻¹⁰
/// relative, and f there is f + f′·Δ/2 up to O(Δ³). The caller evaluates (f, f′, f″) at <see cref="Beta"/> and passes them to
/// <see cref="Update"/> until <see cref="Done"/>: one state per problem, so the same rules serve one temperature on spans
/// (<see cref="TemperatureScaling"/>, the CPU path of the greedy policy search) and many at once from batched tensor evaluations.
/// </remarks>
internal struct InverseTemperatureSearch
{
    /// <summary>The largest number of evaluations; convergence takes far fewer.</summary>
    public const int MaxIterations = 200;

    /// <summary>Relative change of β (or bracket width) below which the search has converged.</summary>
    public const double RelativeTolerance = 1e-14;

    /// <summary>Relative Newton step below which the step is taken and the search ends.</summary>
    public const double NewtonAcceptance = 1e-5;

    private readonly double minBeta;
    private readonly double maxBeta;
    private double lo;
    private double hi;
    private int iterations;

    /// <summary>Starts a search at <paramref name="start"/> (clamped to the bounds).</summary>
    public InverseTemperatureSearch(double start, double minBeta, double maxBeta)
    {
        this.minBeta = minBeta;
        this.maxBeta = maxBeta;
        lo = minBeta;
        hi = maxBeta;
        Beta = Math.Clamp(start, minBeta, maxBeta);
        Nll = double.NaN;
        Done = false;
        iterations = 0;
    }

    /// <summary>Gets the point to evaluate next, or, once <see cref="Done"/>, the solution.</summary>
    public double Beta { get; private set; }

    /// <summary>Gets f at <see cref="Beta"/> once <see cref="Done"/>.</summary>
    public double Nll { get; private set; }

    /// <summary>Gets a value indicating whether the search has ended.</summary>
    public bool Done { get; private set; }

    /// <summary>Takes f(β), f′(β) and f″(β) at <see cref="Beta"/> and moves to the next point, or ends.</summary>
    public void Update(double f, double g, double h)
    {
        var beta = Beta;
        iterations++;
        if (g < 0)
        {
            lo = Math.Max(lo, beta);
        }
        else if (g > 0)
        {
            hi = Math.Min(hi, beta);
        }

        var newton = beta - (g / h);
        var inside = newton > lo && newton < hi && double.IsFinite(newton);
        var scale = Math.Max(Math.Abs(beta), minBeta);
        if (inside && Math.Abs(newton - beta) <= scale * NewtonAcceptance)
        {
            Finish(newton, f + (0.5 * g * (newton - beta)));
            return;
        }

        var next = inside ? newton : 0.5 * (lo + hi);
        if (g < 0 && newton >= maxBeta && hi >= maxBeta)
        {
            next = maxBeta;
        }
        else if (g > 0 && newton <= minBeta && lo <= minBeta)
        {
            next = minBeta;
        }

        var converged = g == 0
            || Math.Abs(next - beta) <= scale * RelativeTolerance
            || hi - lo <= hi * RelativeTolerance
            || (beta >= maxBeta && g <= 0)
            || (beta <= minBeta && g >= 0)
            || iterations >= MaxIterations;
        if (converged)
        {
            Finish(beta, f);
            return;
        }

        Beta = next;
    }

    private void Finish(double beta, double nll)
    {
        Beta = beta;
        Nll = nll;
        Done = true;
    }
}
