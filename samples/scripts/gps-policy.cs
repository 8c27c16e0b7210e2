// Fits a test-time augmentation policy with greedy policy search (GPS, Lyzhov et al. 2020) and saves it, then scores a
// test set with it. The "model" is a fixed template matcher on seeded synthetic 24x24 images of three shapes, standing in
// for a trained CNN (replace it with TorchScriptModel.Load or OnnxModel.Load and your validation batches).
// Run: dotnet run gps-policy.cs [-- OUTPUT_DIR]   (default: ../../artifacts/scripts/gps-policy)
#:package Uqlib@0.1.0-*
#:package TorchSharp-cpu@0.107.0
#:property PublishAot=false
using TorchSharp;
using Uqlib;
using Uqlib.Augmentation;
using Uqlib.Ensembles;
using Uqlib.Evaluation;
using Uqlib.Models;
using static TorchSharp.torch;

var output = Directory.CreateDirectory(args.Length > 0 ? args[0] : "../../artifacts/scripts/gps-policy").FullName;
torch.set_num_threads(1);
using var scope = torch.NewDisposeScope();
var generator = torch.manual_seed(2026);

// Three shape templates (horizontal bar, vertical bar, centred square) on a 24x24 grid.
const int Size = 24;
var templates = torch.zeros(3, Size, Size);
templates[0].narrow(0, 10, 4).fill_(1.0);
templates[1].narrow(1, 10, 4).fill_(1.0);
templates[2].narrow(0, 7, 10).narrow(1, 7, 10).fill_(1.0);
var flatTemplates = templates.reshape(3, -1);

(Tensor Images, Tensor Labels) Images(int n)
{
    var labels = torch.randint(0, 3, new long[] { n }, generator: generator);
    var shifts = torch.randint(-3, 4, new long[] { n, 2 }, generator: generator);
    var images = torch.empty(n, 1, Size, Size);
    for (var i = 0; i < n; i++)
    {
        images[i, 0] = templates[labels[i].item<long>()].roll(new[] { shifts[i, 0].item<long>(), shifts[i, 1].item<long>() }, new long[] { 0, 1 });
    }

    return (images.add_(torch.randn(images.shape, generator: generator).mul_(0.9)), labels);
}

// Logits: how well each template matches the image, over-confident by a factor 3.
IModel model = new DelegateModel(x => x.reshape(x.shape[0], -1).matmul(flatTemplates.t()).mul(0.3), OutputKind.MulticlassLogits);
var (valImages, valLabels) = Images(400);
var (testImages, testLabels) = Images(400);

var pool = CandidatePool.Medical(count: 16, operationsPerSubPolicy: 2, seed: 0);     // index 0 is the identity
var policy = GreedyPolicySearch.Fit(model, [new Batch(valImages, valLabels)], pool, new GreedyPolicySearchOptions { Steps = 4, Seed = 1 });
var path = Path.Combine(output, "tta-policy.json");
policy.Save(path);
var loaded = TtaPolicy.Load(path);
Console.WriteLine($"GPS chose {loaded.SubPolicies!.Count} sub-policies: {string.Join(" | ", loaded.SubPolicies!)}; saved to {path}");

var tta = new TestTimeAugmentationEstimator(model, loaded, EnsembleScore.PredictiveEntropy, loaded.CreateCalibrator(classes: 3));
using var estimate = tta.Estimate(testImages);
var failures = Failures.Misclassified(estimate.Probabilities, testLabels);
var result = RocEvaluator.Evaluate(estimate.Scores, failures);
Console.WriteLine($"TTA with the GPS policy: {result.Failures} failures among {result.Cases}; AUROC {result.Auroc:F3} [{result.AurocCi?.Lower:F3}, {result.AurocCi?.Upper:F3}]");
return 0;
