using System;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using Uqlib.Samples.BiradsShape;
using Uqlib.Samples.BiradsShape.Study;
using Uqlib.Samples.BiradsShape.Volumes;

// The BI-RADS tumour-shape study on synthetic patients, end to end. `--help` lists the options.
torch.set_num_threads(1);

var output = new Option<string>("--output", "-o") { Description = "Folder for report.md, results.json, the CSV files, the example slices and the fitted artefacts.", DefaultValueFactory = _ => new StudyOptions().OutputDirectory };
var seed = new Option<int>("--seed") { Description = "Seed of every random step.", DefaultValueFactory = _ => new StudyOptions().Seed };
var patients = new Option<int?>("--patients") { Description = "Internal patients (default 103; 30 with --quick)." };
var externalPatients = new Option<int?>("--external-patients") { Description = "External, domain-shifted patients (default 31; 10 with --quick)." };
var validationPatients = new Option<int?>("--validation-patients") { Description = "Validation patients, held out from every fold model; every post-hoc fit uses them (default 25; 8 with --quick)." };
var testPatients = new Option<int?>("--test-patients") { Description = "Internal test patients, held out from every fold model and fit (default 25; 8 with --quick)." };
var epochs = new Option<int?>("--epochs") { Description = "Training epochs per fold model (default 8; 2 with --quick)." };
var quick = new Option<bool>("--quick") { Description = "A small study that runs in well under a minute (CI, smoke tests)." };
var device = new Option<string>("--device") { Description = "TorchSharp device: cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };
var volumes = new Option<bool>("--volumes") { Description = "Run the 3-D segmentation study instead: NIfTI volumes, a 3-D CNN, sliding windows, TTA, entropy maps, volume- and lesion-level failure detection (default output artifacts/birads-volumes)." };

var root = new RootCommand("BI-RADS tumour-shape study on synthetic breast-MRI tumours: 5-fold CNN training with and without augmentation, an external domain-shifted set, post-hoc uncertainty, and a report.")
{
    output, seed, patients, externalPatients, validationPatients, testPatients, epochs, quick, device, volumes,
};

root.SetAction((parseResult, cancellationToken) =>
{
    if (parseResult.GetValue(volumes))
    {
        var volumeClock = Stopwatch.StartNew();
        var preset3d = parseResult.GetValue(quick) ? VolumeStudyOptions.Quick : new VolumeStudyOptions();
        var volumeOptions = preset3d with
        {
            Seed = parseResult.GetValue(seed),
            OutputDirectory = parseResult.GetResult(output) is null ? preset3d.OutputDirectory : parseResult.GetValue(output)!,
            Epochs = parseResult.GetValue(epochs) ?? preset3d.Epochs,
        };
        var volumeProgress = new InlineProgress<string>(line => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{volumeClock.Elapsed:mm\\:ss}] {line}")));
        Console.WriteLine(VolumeStudy.Run(volumeOptions, volumeProgress, cancellationToken));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Done in {volumeClock.Elapsed.TotalSeconds:F0} s."));
        return System.Threading.Tasks.Task.FromResult(0);
    }

    var preset = parseResult.GetValue(quick) ? StudyOptions.Quick : new StudyOptions();
    var options = preset with
    {
        OutputDirectory = parseResult.GetValue(output)!,
        Seed = parseResult.GetValue(seed),
        Patients = parseResult.GetValue(patients) ?? preset.Patients,
        ExternalPatients = parseResult.GetValue(externalPatients) ?? preset.ExternalPatients,
        ValidationPatients = parseResult.GetValue(validationPatients) ?? preset.ValidationPatients,
        TestPatients = parseResult.GetValue(testPatients) ?? preset.TestPatients,
        Epochs = parseResult.GetValue(epochs) ?? preset.Epochs,
        Device = parseResult.GetValue(device)!,
    };

    var clock = Stopwatch.StartNew();
    var progress = new InlineProgress<string>(line => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed:mm\\:ss}] {line}")));
    try
    {
        var result = BiradsStudy.Run(options, progress, cancellationToken);
        Console.WriteLine();
        Console.Write(StudyReportWriter.SummaryTable(result));
        Console.WriteLine();
        Console.Write(StudyReportWriter.HeadlineTable(result));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Done in {clock.Elapsed.TotalSeconds:F0} s."));
        return System.Threading.Tasks.Task.FromResult(0);
    }
    catch (ArgumentException exception)
    {
        Console.Error.WriteLine(exception.Message);
        return System.Threading.Tasks.Task.FromResult(2);
    }
    catch (OperationCanceledException)
    {
        Console.Error.WriteLine("Cancelled.");
        return System.Threading.Tasks.Task.FromResult(130);
    }
});

return await root.Parse(args).InvokeAsync();
