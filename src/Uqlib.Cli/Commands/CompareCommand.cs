using System;
using System.CommandLine;
using TorchSharp;
using System.Globalization;
using System.IO;
using System.Text.Json.Nodes;
using Uqlib.Cli.Io;
using static TorchSharp.torch;

namespace Uqlib.Cli.Commands;

/// <summary><c>uqlib compare</c>: whether two arrays agree (a merged result against the single-process run), as an exit code.</summary>
internal static class CompareCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var first = new Argument<string>("expected") { Description = $"The reference array ({CommonOptions.ArraySyntax})." };
        var second = new Argument<string>("actual") { Description = "The array to check, of the same shape." };
        var tolerance = new Option<double>("--tolerance")
        {
            Description = "The largest relative difference |actual - expected| / |expected| accepted, in [0, 1); 0 (the default) asks for identical values.",
            DefaultValueFactory = _ => 0.0,
        };
        var command = new Command("compare", CommonOptions.Describe(
            "Compares two arrays of the same shape: exit code 0 when every element agrees within the relative tolerance, 4 when one does not.",
            "uqlib compare single/knn_scores.npy merged/knn_scores.npy",
            "uqlib compare single/mahalanobis_scores.npy merged/mahalanobis_scores.npy --tolerance 1e-10"))
        {
            first, second, tolerance,
        };
        UqlibCli.SetBody(command, output, error, (parse, context) =>
        {
            var tol = parse.GetValue(tolerance);
            if (!(tol >= 0 && tol < 1))
            {
                throw CliException.Input("--tolerance", $"expected a value in [0, 1), found {tol.ToString(CultureInfo.InvariantCulture)}");
            }

            var expected = ArrayInput.Read(parse.GetValue(first)!, "expected");
            var actual = ArrayInput.Read(parse.GetValue(second)!, "actual");
            if (!expected.shape.AsSpan().SequenceEqual(actual.shape))
            {
                throw CliException.Input("actual", $"has shape {ArrayInput.Shape(actual)} but expected has {ArrayInput.Shape(expected)}");
            }

            var e = expected.to(ScalarType.Float64);
            var difference = actual.to(ScalarType.Float64).sub(e).abs();
            var maxAbsolute = difference.numel() == 0 ? 0.0 : difference.max().item<double>();
            var relative = difference.div(e.abs().clamp_min(double.Epsilon));
            var maxRelative = difference.numel() == 0 ? 0.0 : relative.where(difference.gt(0), torch.zeros_like(relative)).max().item<double>();
            var agree = maxRelative <= tol;
            context.Result(
                new JsonObject { ["agree"] = agree, ["tolerance"] = tol, ["maxAbsoluteDifference"] = maxAbsolute, ["maxRelativeDifference"] = maxRelative, ["elements"] = e.numel() },
                string.Create(CultureInfo.InvariantCulture, $"{(agree ? "agree" : "DIFFER")}: {e.numel()} elements, max |difference| {maxAbsolute:G6}, max relative difference {maxRelative:G6} (tolerance {tol:G6})\n"));
            return agree ? ExitCodes.Success : ExitCodes.Different;
        });
        return command;
    }
}
