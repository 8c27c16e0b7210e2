using System;
using Uqlib.Samples.Docs;

// Runs every snippet shown in docs/; CI runs this sample so the documentation cannot drift from the API.
// The snippets open "classifier.pt" and "classifier.onnx", copied beside the executable.
Environment.CurrentDirectory = AppContext.BaseDirectory;
ReadmeExample.Run();
GettingStarted.Run();
ModelAdapters.Run();
Concepts.Run();
