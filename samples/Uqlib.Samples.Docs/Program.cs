using System;
using System.IO;
using Uqlib.Samples.Docs;

// Runs every snippet shown in docs/; CI runs this sample so the documentation cannot drift from the API.
// The snippets open "classifier.pt" and "classifier.onnx", copied beside the executable.
// With "--images DIR", the charts the plotting snippets draw are copied to DIR (docs/images/ is made this way).
var images = args.Length == 2 && args[0] == "--images" ? Path.GetFullPath(args[1]) : null;
Environment.CurrentDirectory = AppContext.BaseDirectory;
ReadmeExample.Run();
GettingStarted.Run();
ModelAdapters.Run();
Concepts.Run();
Plotting.Run();
FromPyTorch.Run();
Volumes.Run();
Conformal.Run();
OodEvaluation.Run();
FeatureMaps.Run();
Scale.Run();
if (images is not null)
{
    Directory.CreateDirectory(images);
    foreach (var image in Plotting.Images)
    {
        File.Copy(image, Path.Combine(images, image), overwrite: true);
    }

    Console.WriteLine($"images copied to {images}");
}
