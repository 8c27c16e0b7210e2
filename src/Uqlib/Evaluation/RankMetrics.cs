namespace Uqlib.Evaluation;

/// <summary>The scalar failure-detection metrics of one set of cases.</summary>
internal readonly record struct RankMetrics(double Auroc, double AveragePrecision, double FprAt95Tpr, double Aurc, double EAurc, double Augrc);
