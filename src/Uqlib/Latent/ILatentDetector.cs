using TorchSharp;

namespace Uqlib.Latent;

/// <summary>What the latent estimators need of a fitted detector: a score per feature row and a file to save to.</summary>
internal interface ILatentDetector
{
    /// <summary>Scores features <c>(N, F)</c>; higher is more uncertain.</summary>
    torch.Tensor Score(torch.Tensor features);

    /// <summary>Saves the detector (see <see cref="Persistence.FittedFile"/>).</summary>
    void Save(string path);
}
