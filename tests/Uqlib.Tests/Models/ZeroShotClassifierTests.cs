using System;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Ensembles;
using Uqlib.Models;
using Uqlib.Scores;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Models;

public sealed class ZeroShotClassifierTests
{
    [Fact]
    public void DocsExample_RunsAsWritten()
    {
        // docs/latent-ood.md, "Foundation models as black boxes": keep the two in step.
        using var generator = new Generator(7);
        using var encoderWeights = torch.randn(new long[] { 48, 16 }, generator: generator);
        IModel encoder = new DelegateModel(x => x.flatten(1).matmul(encoderWeights), OutputKind.MulticlassLogits); // stands in for CLIP's image tower
        using var prompts = torch.randn(new long[] { 3, 4, 16 }, generator: generator);       // 3 classes × 4 prompts × D = 16
        using var images = torch.randn(new long[] { 8, 3, 4, 4 }, generator: generator);

        using var classifier = new ZeroShotClassifier(encoder, prompts);                        // τ = 0.01
        using var output = classifier.Forward(images);                                          // logits (8, 3), features (8, 16)
        using var msp = SoftmaxScores.MaxProbability(output.Logits.softmax(1));
        using var concepts = classifier.ClassEmbeddings;                                        // (3, 16), prompts averaged
        using var mcm = OodScores.MaxConceptMatching(output.Features!, concepts);               // (8), higher = more OOD
        var promptEnsemble = new DeepEnsembleEstimator(classifier.PromptMembers(), EnsembleScore.MutualInformation);
        using var disagreement = promptEnsemble.Estimate(images);                               // variability across prompts

        output.Logits.shape.Should().Equal(8, 3);
        msp.shape.Should().Equal(8);
        mcm.shape.Should().Equal(8);
        disagreement.Scores.shape.Should().Equal(8);
        mcm.le(2.0 / 3 + 1e-12).all().ToBoolean().Should().BeTrue();
    }

    private static readonly System.Text.Json.JsonElement Reference = Golden.Load("zero_shot.json");

    [Fact]
    public void Forward_SingleEmbeddingPerClass_MatchesClip()
    {
        using var text = Text();
        using var single = text.select(1, 0);
        using var classifier = new ZeroShotClassifier(Encoder(), single);
        using var images = Images();
        using var output = classifier.Forward(images);

        classifier.Temperature.Should().Be(0.01);
        output.Logits.dtype.Should().Be(ScalarType.Float64);
        output.Logits.allclose(Golden.MatrixTensor(Reference.GetProperty("logitsSingle")), rtol: 1e-12, atol: 1e-12).Should().BeTrue();
        using var norms = output.Features!.norm(1);
        norms.allclose(torch.ones_like(norms), rtol: 1e-12, atol: 1e-12).Should().BeTrue();
    }

    [Fact]
    public void Forward_PromptEnsemble_AveragesNormalisedPromptsAsClipEns()
    {
        using var text = Text();
        using var classifier = new ZeroShotClassifier(Encoder(), text);
        using var images = Images();
        using var output = classifier.Forward(images);

        classifier.PromptCount.Should().Be(3);
        classifier.ClassCount.Should().Be(4);
        output.Logits.allclose(Golden.MatrixTensor(Reference.GetProperty("logitsAveraged")), rtol: 1e-12, atol: 1e-12).Should().BeTrue();
    }

    [Fact]
    public void Forward_Float32Encoder_KeepsFloat32AndMatchesWithinRounding()
    {
        using var text = Text();
        using var classifier = new ZeroShotClassifier(Encoder(), text);
        using var images = Images().to(ScalarType.Float32);
        using var output = classifier.Forward(images);

        output.Logits.dtype.Should().Be(ScalarType.Float32);
        using var expected = Golden.MatrixTensor(Reference.GetProperty("logitsAveraged"), ScalarType.Float32);
        output.Logits.allclose(expected, rtol: 1e-5, atol: 1e-4).Should().BeTrue();
    }

    [Fact]
    public void PromptLogits_AreOneMemberPerPrompt_AndFeedTheEnsembleMeasures()
    {
        using var text = Text();
        using var classifier = new ZeroShotClassifier(Encoder(), text);
        using var images = Images();
        using var logits = classifier.PromptLogits(images);

        logits.shape.Should().Equal(3, 10, 4);
        logits.allclose(Golden.Tensor3(Reference.GetProperty("logitsPrompts")), rtol: 1e-12, atol: 1e-12).Should().BeTrue();

        using var probabilities = logits.softmax(2);
        using var direct = EnsembleScores.MutualInformation(probabilities);
        var estimator = new DeepEnsembleEstimator(classifier.PromptMembers(), EnsembleScore.MutualInformation);
        using var estimate = estimator.Estimate(images);
        estimate.Scores.allclose(direct, rtol: 1e-10, atol: 1e-12).Should().BeTrue();
    }

    [Fact]
    public void Forward_FeaturesSource_UsesTheEncodersFeatures()
    {
        using var text = Text();
        var encoder = new DelegateModel(x => (torch.zeros(x.shape[0], 2, dtype: x.dtype), x.clone()), OutputKind.MulticlassLogits);
        using var classifier = new ZeroShotClassifier(encoder, text, new ZeroShotOptions { Embedding = EmbeddingSource.Features, Temperature = 0.5 });
        using var images = Images();
        using var output = classifier.Forward(images);

        using var expected = Golden.MatrixTensor(Reference.GetProperty("logitsAveraged"));
        output.Logits.allclose(expected.mul(0.01 / 0.5), rtol: 1e-12, atol: 1e-12).Should().BeTrue();
    }

    [Fact]
    public void Forward_EmbeddingsOfAnotherDimensionOrMissingFeatures_Throw()
    {
        using var text = Text();
        using var classifier = new ZeroShotClassifier(Encoder(), text);
        using var wrong = torch.ones(2, 5, dtype: ScalarType.Float64);
        using var noFeatures = new ZeroShotClassifier(Encoder(), text, new ZeroShotOptions { Embedding = EmbeddingSource.Features });
        using var images = Images();

        FluentActions.Invoking(() => classifier.Forward(wrong)).Should().Throw<ArgumentException>().WithMessage("*(N, 8)*found (2, 5)*");
        FluentActions.Invoking(() => noFeatures.Forward(images)).Should().Throw<ArgumentException>().WithMessage("*no features*");
    }

    [Fact]
    public void Constructor_BadEmbeddingsOrOptions_Throw()
    {
        using var oneClass = torch.ones(1, 8);
        using var rank4 = torch.ones(2, 2, 2, 2);
        using var nan = torch.ones(3, 8);
        nan[1, 2] = torch.tensor(float.NaN);
        using var text = Text();

        FluentActions.Invoking(() => new ZeroShotClassifier(Encoder(), oneClass)).Should().Throw<ArgumentException>()
            .WithParameterName("classEmbeddings").WithMessage("*at least 2 classes*");
        FluentActions.Invoking(() => new ZeroShotClassifier(Encoder(), rank4)).Should().Throw<ArgumentException>().WithParameterName("classEmbeddings");
        FluentActions.Invoking(() => new ZeroShotClassifier(Encoder(), nan)).Should().Throw<ArgumentException>()
            .WithParameterName("classEmbeddings").WithMessage("*NaN*");
        FluentActions.Invoking(() => new ZeroShotClassifier(Encoder(), text, new ZeroShotOptions { Temperature = 0 })).Should().Throw<ArgumentException>()
            .WithParameterName("options").WithMessage("*Temperature*");
    }

    [Fact]
    public void ClassEmbeddings_AreACopy_AndDisposeMakesEveryMemberThrow()
    {
        using var text = Text();
        var classifier = new ZeroShotClassifier(Encoder(), text);
        var members = classifier.PromptMembers();
        using (var copy = classifier.ClassEmbeddings)
        {
            copy.zero_();
        }

        using var images = Images();
        using (var output = classifier.Forward(images))
        {
            output.Logits.allclose(Golden.MatrixTensor(Reference.GetProperty("logitsAveraged")), rtol: 1e-12, atol: 1e-12).Should().BeTrue();
        }

        classifier.ToString().Should().Be("ZeroShotClassifier(C=4, P=3, D=8, τ=0.01)");
        classifier.Dispose();
        FluentActions.Invoking(() => classifier.Forward(images)).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => classifier.PromptLogits(images)).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => members[0].Forward(images)).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => classifier.ClassEmbeddings).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void ForwardAndPromptLogits_LeakNoTensors()
    {
        using var text = Text();
        using var images = Images();
        var before = LiveTensors.Count;
        using (var classifier = new ZeroShotClassifier(Encoder(), text))
        {
            classifier.Forward(images).Dispose();
            classifier.PromptLogits(images).Dispose();
            classifier.PromptMembers()[1].Forward(images).Dispose();
        }

        LiveTensors.Count.Should().Be(before);
    }

    /// <summary>An "image encoder" whose inputs are already the embeddings: the golden images.</summary>
    private static DelegateModel Encoder() => new(x => x.clone(), OutputKind.MulticlassLogits);

    private static Tensor Images() => Golden.MatrixTensor(Reference.GetProperty("images"));

    private static Tensor Text() => Golden.Tensor3(Reference.GetProperty("text"));
}
