using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Text.Json.Nodes;
using Uqlib.Cli.Io;
using Uqlib.Interop;
using Uqlib.Latent;
using Uqlib.Sharding;
using static TorchSharp.torch;

namespace Uqlib.Cli.Commands;

/// <summary><c>uqlib ood fit|score</c>: latent-space out-of-distribution detectors on a model's features.</summary>
internal static class OodCommand
{
    private static readonly string[] Kinds = ["mahalanobis", "relative-mahalanobis", "knn", "vim"];

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("ood", "Latent-space out-of-distribution detectors: fit one on training features and save it (fit); score new features with it (score); ViM's second sharded pass (vim-alpha).");
        command.Add(Fit(output, error));
        command.Add(Score(output, error));
        command.Add(VimAlpha(output, error));
        return command;
    }

    private static Command Fit(TextWriter output, TextWriter error)
    {
        var detector = new Option<string>("--detector", "-d")
        {
            Description = "mahalanobis (Lee et al. 2018), relative-mahalanobis (Ren et al. 2021), knn (Sun et al. 2022) or vim (Wang et al. 2022).",
            Required = true,
        };
        detector.AcceptOnlyFromAmong(Kinds);
        var features = CommonOptions.Array("--features", "Training features, (N, D)");
        var labels = CommonOptions.Array("--labels", "Training labels, (N), for mahalanobis and relative-mahalanobis", required: false);
        var classes = new Option<int?>("--classes") { Description = "The number of classes (default: the largest label + 1)." };
        var k = new Option<int>("--k") { Description = "kNN: the neighbour whose distance is the score, at least 1.", DefaultValueFactory = _ => 50 };
        var weight = CommonOptions.Array("--weight", "ViM: the classifier's last-layer weight, (C, D)", required: false);
        var bias = CommonOptions.Array("--bias", "ViM: the classifier's last-layer bias, (C)", required: false);
        var principal = VimPrincipal();
        var save = CommonOptions.Output("The fitted detector, in Uqlib's saved-file envelope.");
        var npz = CommonOptions.File("--npz", "Also write the fitted detector as .npz for Python.", required: false);
        var shard = ShardOption.Create(what: "training cases (mahalanobis and relative-mahalanobis: the partial feature statistics, needs --classes; vim: the statistics of its first pass)");
        var command = new Command("fit", CommonOptions.Describe(
            "Fits a latent-space OOD detector on training features and saves it. With --shard, writes the shard's feature statistics " +
            "(class counts, means, co-moments) instead; 'uqlib merge' fits the detector from all shards, equal to the single-process fit. " +
            "ViM takes two sharded passes: the statistics (here), merged with --detector vim into the principal subspace, then " +
            "'uqlib ood vim-alpha' on each shard, merged into the detector.",
            "uqlib ood fit --detector mahalanobis --features train_features.npy --labels train_labels.npy --output mahalanobis.uqlib",
            "uqlib ood fit --detector knn --k 10 --features train_features.npy -o knn.uqlib --json",
            "uqlib ood fit -d mahalanobis --features train.npy --labels train_labels.npy --classes 3 --shard $SLURM_ARRAY_TASK_ID/4 -o parts/stats_$SLURM_ARRAY_TASK_ID.uqlib",
            "uqlib ood fit -d vim --features train.npy --weight fc_weight.npy --bias fc_bias.npy -o vim.uqlib",
            "uqlib ood fit -d vim --features train.npy --shard $SLURM_ARRAY_TASK_ID/4 -o parts/stats_$SLURM_ARRAY_TASK_ID.uqlib"))
        {
            detector, features, labels, classes, k, weight, bias, principal, save, npz, shard,
        };
        UqlibCli.SetBody(command, output, error, (parse, context) =>
        {
            var x = ArrayInput.ReadMatrix(parse.GetValue(features)!, "--features", "cases, feature dimensions");
            var kind = parse.GetValue(detector)!;
            var path = parse.GetValue(save)!;
            var npzPath = parse.GetValue(npz);
            if (ShardOption.Read(parse, shard) is { } part)
            {
                return FitShard(parse, context, kind, x, part, labels, classes, path);
            }

            context.Progress($"fitting {kind} on {x.shape[0]} cases of {x.shape[1]} dimensions");
            Detectors fitted;
            switch (kind)
            {
                case "knn":
                    var knn = KnnDetector.Fit(x, new KnnOptions { K = parse.GetValue(k) });
                    Save(path, npzPath, () => knn.Save(path), () => NpzExport.Write(npzPath!, knn));
                    fitted = Detectors.From(knn);
                    break;
                case "vim":
                    var w = ArrayInput.ReadMatrix(parse.GetValue(weight) ?? throw CliException.Input("--weight", "ViM needs the classifier's weight"), "--weight", "classes, feature dimensions");
                    var b = parse.GetValue(bias) is string biasSpec ? ArrayInput.ReadVector(biasSpec, "--bias", "one bias per class").to(w.dtype) : null;
                    var vim = VimDetector.Fit(x, w, b, new VimOptions { PrincipalDimension = parse.GetValue(principal) }, context.PassProgress("vim"), context.CancellationToken);
                    Save(path, npzPath, () => vim.Save(path), () => NpzExport.Write(npzPath!, vim));
                    fitted = Detectors.From(vim);
                    break;
                default:
                    var y = ArrayInput.ReadLabels(parse.GetValue(labels) ?? throw CliException.Input("--labels", $"{kind} needs the training labels"), "--labels");
                    ArrayInput.SameCases(("--features", x), ("--labels", y));
                    var c = parse.GetValue(classes) ?? (int)y.max().item<long>() + 1;
                    if (kind == "mahalanobis")
                    {
                        var m = MahalanobisDetector.Fit(x, y, c);
                        Save(path, npzPath, () => m.Save(path), () => NpzExport.Write(npzPath!, m));
                        fitted = Detectors.From(m);
                    }
                    else
                    {
                        var r = RelativeMahalanobisDetector.Fit(x, y, c);
                        Save(path, npzPath, () => r.Save(path), () => NpzExport.Write(npzPath!, r));
                        fitted = Detectors.From(r);
                    }

                    break;
            }

            using (fitted)
            {
                context.Result(
                    new JsonObject { ["detector"] = fitted.Description, ["cases"] = x.shape[0], ["output"] = Path.GetFullPath(path) },
                    $"{fitted.Description} saved to {path}\n");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static int FitShard(ParseResult parse, CliContext context, string kind, Tensor x, ShardSpec part, Option<string> labels, Option<int?> classes, string path)
    {
        if (kind == "knn")
        {
            throw CliException.Input("--shard", "a kNN bank is split at scoring time: use 'uqlib ood score --bank FEATURES --bank-shard i/n'");
        }

        // ViM's first pass needs only the mean and total scatter of all features: one class, no labels.
        var c = kind == "vim" ? 1 : parse.GetValue(classes) ?? throw CliException.Input("--classes", "a sharded fit needs the number of classes (a shard may not see every class)");
        var y = kind == "vim" ? null : ArrayInput.ReadLabels(parse.GetValue(labels) ?? throw CliException.Input("--labels", $"{kind} needs the training labels"), "--labels", c);
        if (y is not null)
        {
            ArrayInput.SameCases(("--features", x), ("--labels", y));
        }

        var (start, end) = ShardOption.Rows(part, x.shape[0], "--shard");
        context.Progress($"shard {part}: feature statistics of cases {start} to {end - 1} of {x.shape[0]}");
        using var accumulator = new FeatureStatisticsAccumulator(c);
        accumulator.Add(x.narrow(0, start, end - start), y?.narrow(0, start, end - start));
        OutputFiles.Run(path, "--output", () => accumulator.Save(path));
        context.Result(
            new JsonObject { ["shard"] = part.ToString(), ["partial"] = accumulator.ToString(), ["firstCase"] = start, ["endCase"] = end, ["output"] = Path.GetFullPath(path) },
            $"shard {part}: {accumulator} saved to {path} (merge the shards with 'uqlib merge')\n");
        return ExitCodes.Success;
    }

    private static Command Score(TextWriter output, TextWriter error)
    {
        var detectorFile = CommonOptions.File("--detector", "A detector saved by 'uqlib ood fit' (or the library's Save).", required: false);
        var bank = CommonOptions.Array("--bank", "kNN without a saved detector: the training features, (T, D), as the bank (instead of --detector)", required: false);
        var k = new Option<int>("--k") { Description = "With --bank: the neighbour whose distance is the score, at least 1.", DefaultValueFactory = _ => 50 };
        var features = CommonOptions.Array("--features", "Features to score, (N, D)");
        var save = CommonOptions.Output("The scores, (N) float64, higher = more out of distribution, as .npy; with --shard or --bank-shard, the partial state.");
        var shard = ShardOption.Create(what: "cases to score (writes their scores as a score shard)");
        var bankShard = ShardOption.Create("--bank-shard", "kNN bank rows (writes the top-k list of every case against those rows)");
        var command = new Command("score", CommonOptions.Describe(
            "Scores features with a saved latent detector, or with kNN against a bank of training features (higher = more out of " +
            "distribution), and writes the scores as .npy. --shard splits the cases; --bank-shard splits the kNN bank (each shard keeps " +
            "its top-k per case; 'uqlib merge' keeps the top-k of those, identical to the unsharded scores).",
            "uqlib ood score --detector mahalanobis.uqlib --features test_features.npy --output mahalanobis_scores.npy",
            "uqlib ood score --bank train_features.npy --k 10 --features test_features.npy --bank-shard $SLURM_ARRAY_TASK_ID/4 -o parts/knn_$SLURM_ARRAY_TASK_ID.uqlib",
            "uqlib evaluate --score Mahalanobis=mahalanobis_scores.npy --logits test_logits.npy --labels test_labels.npy"))
        {
            detectorFile, bank, k, features, save, shard, bankShard,
        };
        UqlibCli.SetBody(command, output, error, (parse, context) =>
        {
            var x = ArrayInput.ReadMatrix(parse.GetValue(features)!, "--features", "cases, feature dimensions");
            var path = parse.GetValue(save)!;
            var caseShard = ShardOption.Read(parse, shard);
            var (start, end) = caseShard is { } cs ? ShardOption.Rows(cs, x.shape[0], "--shard") : (0L, x.shape[0]);
            var rows = x.narrow(0, start, end - start);
            if (parse.GetValue(detectorFile) is not null == parse.GetValue(bank) is not null)
            {
                throw CliException.Input("--detector", "give either --detector (a saved detector) or --bank (kNN against training features)");
            }

            Detectors detector;
            if (parse.GetValue(bank) is string bankSpec)
            {
                var b = ArrayInput.ReadMatrix(bankSpec, "--bank", "bank rows, feature dimensions");
                if (b.shape[1] != x.shape[1])
                {
                    throw CliException.Input("--features", $"has {x.shape[1]} feature dimensions but --bank has {b.shape[1]}");
                }

                if (ShardOption.Read(parse, bankShard) is { } part)
                {
                    return BankShard(context, b, x, caseShard is not null, part, parse.GetValue(k), path);
                }

                context.Progress($"kNN: bank of {b.shape[0]} rows");
                detector = Detectors.From(KnnDetector.Fit(b, new KnnOptions { K = parse.GetValue(k) }));
            }
            else
            {
                detector = Detectors.Load(parse.GetValue(detectorFile)!, "--detector");
            }

            using var owned = detector;
            context.Progress($"scoring {rows.shape[0]} cases with {detector.Description}");
            var scores = detector.Score(rows, "--features").to(ScalarType.Float64);
            if (caseShard is { } partOfCases)
            {
                using var scoreShard = ScoreShard.Create(scores, start);
                OutputFiles.Run(path, "--output", () => scoreShard.Save(path));
                context.Result(
                    new JsonObject { ["shard"] = partOfCases.ToString(), ["partial"] = scoreShard.ToString(), ["firstCase"] = start, ["endCase"] = end, ["output"] = Path.GetFullPath(path) },
                    $"shard {partOfCases}: {scoreShard} saved to {path} (merge the shards with 'uqlib merge')\n");
                return ExitCodes.Success;
            }

            OutputFiles.Run(path, "--output", () => Npy.Write(path, scores));
            var mean = scores.numel() > 0 ? scores.mean().item<double>() : 0.0;
            context.Result(
                new JsonObject { ["detector"] = detector.Description, ["cases"] = x.shape[0], ["meanScore"] = mean, ["output"] = Path.GetFullPath(path) },
                string.Create(CultureInfo.InvariantCulture, $"{detector.Description}: {x.shape[0]} scores (mean {mean:G6}) written to {path}\n"));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command VimAlpha(TextWriter output, TextWriter error)
    {
        var subspace = CommonOptions.File("--subspace", "ViM's principal subspace: the file 'uqlib merge --detector vim' wrote from the first pass's statistics.");
        var features = CommonOptions.Array("--features", "The training features, (N, D): the same array (and case order) as the first pass");
        var save = CommonOptions.Output("The partial state (the sums over this shard's features of the max logit and of the residual norm), for 'uqlib merge'.");
        var shard = ShardOption.Create(what: "training cases (the second pass of ViM)");
        var command = new Command("vim-alpha", CommonOptions.Describe(
            "ViM's second pass (Wang et al. 2022): over the training features, the sums of the max logit and of the norm of the residual " +
            "outside the principal subspace, whose ratio is the scale alpha. Each shard writes its sums; 'uqlib merge' adds them and writes " +
            "the fitted ViM detector, equal to the single-process 'uqlib ood fit -d vim'. Costs F x (F - D) multiply-adds per feature.",
            "uqlib merge --detector vim --weight fc_weight.npy --bias fc_bias.npy -o vim_subspace.uqlib parts/stats_*.uqlib",
            "uqlib ood vim-alpha --subspace vim_subspace.uqlib --features train.npy --shard $SLURM_ARRAY_TASK_ID/4 -o parts/alpha_$SLURM_ARRAY_TASK_ID.uqlib",
            "uqlib merge -o vim.uqlib parts/alpha_*.uqlib"))
        {
            subspace, features, save, shard,
        };
        UqlibCli.SetBody(command, output, error, (parse, context) =>
        {
            var file = parse.GetValue(subspace)!;
            var kind = SavedFiles.Kind(file, "--subspace");
            if (kind != nameof(VimAlphaAccumulator))
            {
                throw CliException.Input("--subspace", $"'{file}' holds a {kind}, not ViM's principal subspace (write it with 'uqlib merge --detector vim')");
            }

            using var accumulator = VimAlphaAccumulator.Load(file);
            if (accumulator.Count != 0)
            {
                throw CliException.Input("--subspace", $"'{file}' already holds the sums of {accumulator.Count} features: give the subspace file of the first pass");
            }

            var x = ArrayInput.ReadMatrix(parse.GetValue(features)!, "--features", "cases, feature dimensions");
            if (x.shape[1] != accumulator.Dimension)
            {
                throw CliException.Input("--features", $"has {x.shape[1]} feature dimensions but the subspace has {accumulator.Dimension}");
            }

            var part = ShardOption.Read(parse, shard);
            var (start, end) = part is { } p ? ShardOption.Rows(p, x.shape[0], "--shard") : (0L, x.shape[0]);
            context.Progress($"vim-alpha: max logits and residual norms of cases {start} to {end - 1} of {x.shape[0]}");
            accumulator.Add(x.narrow(0, start, end - start));
            var path = parse.GetValue(save)!;
            OutputFiles.Run(path, "--output", () => accumulator.Save(path));
            var name = part?.ToString() ?? "all";
            context.Result(
                new JsonObject { ["shard"] = name, ["partial"] = accumulator.ToString(), ["firstCase"] = start, ["endCase"] = end, ["output"] = Path.GetFullPath(path) },
                $"shard {name}: {accumulator} saved to {path} (merge the shards with 'uqlib merge')\n");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>ViM's principal dimension D, shared by 'ood fit' and 'merge'.</summary>
    internal static Option<int?> VimPrincipal() => new("--principal")
    {
        Description = "ViM: the principal dimension D, below the feature dimension F (default: 1000 for F >= 2048, 512 for F >= 768, else F/2).",
        HelpName = "D",
    };

    private static int BankShard(CliContext context, Tensor bank, Tensor queries, bool casesSharded, ShardSpec part, int k, string path)
    {
        if (casesSharded)
        {
            throw CliException.Input("--bank-shard", "split either the cases (--shard) or the bank (--bank-shard), not both");
        }

        var (start, end) = ShardOption.Rows(part, bank.shape[0], "--bank-shard");
        context.Progress($"bank shard {part}: top-{k} of every case against bank rows {start} to {end - 1} of {bank.shape[0]}");
        using var shardDetector = KnnDetector.Fit(bank.narrow(0, start, end - start), new KnnOptions { K = k });
        using var topK = KnnTopK.Compute(shardDetector, queries, start, context.PassProgress("kNN"), context.CancellationToken);
        OutputFiles.Run(path, "--output", () => topK.Save(path));
        context.Result(
            new JsonObject { ["bankShard"] = part.ToString(), ["partial"] = topK.ToString(), ["firstRow"] = start, ["endRow"] = end, ["output"] = Path.GetFullPath(path) },
            $"bank shard {part}: {topK} saved to {path} (merge the shards with 'uqlib merge')\n");
        return ExitCodes.Success;
    }

    private static void Save(string path, string? npzPath, System.Action save, System.Action export)
    {
        OutputFiles.Run(path, "--output", save);
        if (npzPath is not null)
        {
            OutputFiles.Run(npzPath, "--npz", export);
        }
    }
}
