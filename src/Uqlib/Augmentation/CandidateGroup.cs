namespace Uqlib.Augmentation;

/// <summary>A group of randomly drawn sub-policies of a candidate pool: how many, how many operations each, and the magnitude range.</summary>
/// <param name="Count">The number of sub-policies, from 1 to 100,000.</param>
/// <param name="OperationsPerSubPolicy">N, the operations drawn with replacement per sub-policy, from 1 to 64.</param>
/// <param name="MaxMagnitude">M ≥ 0: each operation's level is m ~ U(−M, M), drawn once when the sub-policy is built, on the <see cref="CandidatePoolOptions.MagnitudeScale"/> scale.</param>
/// <remarks>Lyzhov et al. 2020, "Greedy policy search": the authors' CIFAR pool has groups (500, 3, 45), (500, 3, 20) and (100, 3, 0).</remarks>
public sealed record CandidateGroup(int Count, int OperationsPerSubPolicy, double MaxMagnitude);
