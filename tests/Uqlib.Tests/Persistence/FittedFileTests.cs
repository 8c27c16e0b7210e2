using System;
using System.IO;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Persistence;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Persistence;

public sealed class FittedFileTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("uqlib-fitted-file-").FullName;

    public void Dispose()
    {
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void SaveLoad_EveryFieldKind_RoundTripsBitForBit()
    {
        var path = Path.Combine(directory, "all.uqlib");
        double[] awkward = [0.1, 1.0 / 3.0, -0.0, double.Epsilon, double.MaxValue, -1e-300, 6.02214076e23];
        using var generator = new Generator(1);
        using var floats = torch.randn(new long[] { 3, 4 }, generator: generator);
        using var generator2 = new Generator(2);
        using var doubles = torch.randn(new long[] { 5 }, dtype: ScalarType.Float64, generator: generator2);
        using var longs = torch.arange(-3, 3, dtype: ScalarType.Int64).reshape(2, 3);
        using var empty = torch.zeros(new long[] { 0, 4 });
        FittedFile.Save(path, "Everything", 2, writer =>
        {
            writer.Numbers("awkward", awkward);
            writer.Number("count", long.MaxValue);
            writer.Boolean("flag", true);
            writer.String("text", "ünïcödé \"quoted\"");
            writer.Enum("method", Uqlib.Latent.CovarianceMethod.LedoitWolf);
            writer.Strings("names", ["a", "b"]);
            writer.Object("nested", inner => inner.Tensor("floats", floats));
            writer.Objects("items", new[] { 1.5, 2.5 }, (item, value) => item.Number("value", value));
            writer.Tensor("doubles", doubles);
            writer.Tensor("longs", longs);
            writer.Tensor("empty", empty);
        });

        var live = LiveTensors.Count;
        var (numbers, count, flag, text, method, names, items, version, tensors) = FittedFile.Load(path, "Everything", 2, reader => (
            reader.Doubles("awkward"), reader.Int64("count"), reader.Boolean("flag"), reader.String("text"),
            reader.Enum<Uqlib.Latent.CovarianceMethod>("method"), reader.Strings("names"),
            reader.Objects("items").Select(item => item.Double("value")).ToArray(), reader.Version,
            new[]
            {
                reader.Object("nested").Tensor("floats", 2, ScalarType.Float32), reader.Tensor("doubles", 1, ScalarType.Float64),
                reader.Tensor("longs", 2, ScalarType.Int64), reader.Tensor("empty", 2, ScalarType.Float32),
            }));
        LiveTensors.Count.Should().Be(live + 4, "the four tensors read belong to the caller");
        using var a = tensors[0];
        using var b = tensors[1];
        using var c = tensors[2];
        using var d = tensors[3];

        numbers.Select(BitConverter.DoubleToInt64Bits).Should().Equal(awkward.Select(BitConverter.DoubleToInt64Bits));
        count.Should().Be(long.MaxValue);
        flag.Should().BeTrue();
        text.Should().Be("ünïcödé \"quoted\"");
        method.Should().Be(Uqlib.Latent.CovarianceMethod.LedoitWolf);
        names.Should().Equal("a", "b");
        items.Should().Equal(1.5, 2.5);
        version.Should().Be(2);
        a.allclose(floats, rtol: 0, atol: 0).Should().BeTrue();
        b.allclose(doubles, rtol: 0, atol: 0).Should().BeTrue();
        c.allclose(longs, rtol: 0, atol: 0).Should().BeTrue();
        d.shape.Should().Equal(0, 4);
    }

    [Fact]
    public void SaveLoad_TensorsLargerThanOneChunk_RoundTripExactly()
    {
        var path = Path.Combine(directory, "large.uqlib");
        using var generator = new Generator(3);
        using var floats = torch.randn(new long[] { (2 * FittedFile.ChunkBytes / 4) + 3 }, generator: generator);
        using var generator3 = new Generator(4);
        using var doubles = torch.randn(new long[] { FittedFile.ChunkBytes / 8, 2 }, dtype: ScalarType.Float64, generator: generator3).t();
        FittedFile.Save(path, "Large", 1, writer =>
        {
            writer.Tensor("floats", floats);
            writer.Tensor("doubles", doubles);
        });
        var (a, b) = FittedFile.Load(path, "Large", 1, reader => (reader.Tensor("floats", 1, ScalarType.Float32), reader.Tensor("doubles", 2, ScalarType.Float64)));
        using (a)
        using (b)
        {
            a.allclose(floats, rtol: 0, atol: 0).Should().BeTrue();
            b.allclose(doubles, rtol: 0, atol: 0).Should().BeTrue("a transposed (non-contiguous) tensor is saved by value");
        }
    }

    [Fact]
    public void Save_ThrowingMidway_LeavesTheOldFileIntactAndNoTemporaryFile()
    {
        var path = Path.Combine(directory, "model.uqlib");
        FittedFile.Save(path, "Thing", 1, writer => writer.Number("value", 1.0));
        var before = File.ReadAllBytes(path);

        // A tensor disposed after it was handed over fails while the tensor bytes are written, after the header is on disk.
        var act = () => FittedFile.Save(path, "Thing", 1, writer =>
        {
            writer.Number("value", 2.0);
            var tensor = torch.ones(1000);
            writer.Tensor("data", tensor);
            tensor.Dispose();
        });
        act.Should().Throw<Exception>();
        File.ReadAllBytes(path).Should().Equal(before);
        Directory.GetFiles(directory).Should().Equal(path);

        // A failure while the fields are collected (before any file is opened) also leaves everything as it was.
        ((Action)(() => FittedFile.Save(path, "Thing", 1, writer => writer.Number("value", double.NaN)))).Should().Throw<InvalidOperationException>()
            .WithMessage("*\"value\"*NaN*");
        File.ReadAllBytes(path).Should().Equal(before);
        Directory.GetFiles(directory).Should().Equal(path);
        FittedFile.Load(path, "Thing", 1, reader => reader.Double("value")).Should().Be(1.0);
    }

    [Fact]
    public void Save_IntoAMissingFolder_ThrowsAndCreatesNothing()
    {
        var path = Path.Combine(directory, "absent", "model.uqlib");
        ((Action)(() => FittedFile.Save(path, "Thing", 1, writer => writer.Number("value", 1.0)))).Should().Throw<DirectoryNotFoundException>();
        Directory.GetFileSystemEntries(directory).Should().BeEmpty();
    }

    [Fact]
    public void Load_FailingAfterTensorsWereRead_DisposesThem()
    {
        var path = Path.Combine(directory, "model.uqlib");
        using var tensor = torch.ones(10, 10);
        FittedFile.Save(path, "Thing", 1, writer =>
        {
            writer.Tensor("a", tensor);
            writer.Tensor("b", tensor);
            writer.Number("k", -1);
        });
        var live = LiveTensors.Count;
        var act = () => FittedFile.Load(path, "Thing", 1, reader =>
        {
            var a = reader.Tensor("a", 2, ScalarType.Float32);
            var b = reader.Tensor("b", 2, ScalarType.Float32);
            return reader.Int32("k") < 0 ? throw new ArgumentException("k must be positive; found -1.", "k") : (a, b);
        });
        act.Should().Throw<InvalidDataException>().WithMessage($"'{path}' is not a valid Thing file: k must be positive; found -1.");
        LiveTensors.Count.Should().Be(live);
    }

    [Theory]
    [InlineData("{\"t\": {\"dtype\": \"float32\", \"shape\": [2, 2], \"offset\": 0}}", "\"t\": a stored tensor lies outside the payload")]
    [InlineData("{\"t\": {\"dtype\": \"float64\", \"shape\": [1], \"offset\": 0}}", "\"t\" is a float64 tensor of rank 1; expected float32 of rank 2")]
    [InlineData("{\"t\": {\"dtype\": \"float32\", \"shape\": [-1, 1], \"offset\": 0}}", "\"t\" has an invalid shape")]
    [InlineData("{\"t\": {\"dtype\": \"float32\", \"shape\": [1, 1], \"offset\": 8}}", "\"t\": a stored tensor lies outside the payload")]
    [InlineData("{\"t\": [1, 2]}", "\"t\" is not a stored tensor")]
    public void Load_InconsistentTensorField_IsRefused(string metadata, string problem)
    {
        SavedFiles.ShouldRefuseFields(metadata, path => FittedFile.Load(path, "Thing", 1, reader => reader.Tensor("t", 2, ScalarType.Float32)), "Thing", problem);
    }

    [Fact]
    public void Load_NonFiniteStoredTensor_IsRefused()
    {
        var bytes = BitConverter.GetBytes(float.NaN).Concat(BitConverter.GetBytes(1f)).ToArray();
        SavedFiles.ShouldRefuse(
            SavedFiles.Envelope("Thing", "{\"t\": {\"dtype\": \"float32\", \"shape\": [1, 2], \"offset\": 0}}", blobs: bytes),
            path => FittedFile.Load(path, "Thing", 1, reader => reader.Tensor("t", 2, ScalarType.Float32)), "Thing",
            "\"t\": a stored tensor holds a NaN or infinite value");
    }

    [Fact]
    public void Load_OlderVersionOfTheKind_IsReadAndReported()
    {
        var path = Path.Combine(directory, "old.uqlib");
        File.WriteAllBytes(path, SavedFiles.Envelope("Thing", "{\"value\": 4}", version: 1));
        FittedFile.Load(path, "Thing", 3, reader => (reader.Version, reader.Double("value"))).Should().Be((1, 4.0));
    }

    [Fact]
    public void Load_BlankOrNullPath_ThrowsArgumentExceptions()
    {
        ((Action)(() => FittedFile.Load(" ", "Thing", 1, reader => 0))).Should().Throw<ArgumentException>().WithParameterName("path");
        ((Action)(() => FittedFile.Load(null!, "Thing", 1, reader => 0))).Should().Throw<ArgumentNullException>().WithParameterName("path");
        ((Action)(() => FittedFile.Save("", "Thing", 1, writer => { }))).Should().Throw<ArgumentException>().WithParameterName("path");
    }

    [Fact]
    public void Envelope_WrittenByTheLibrary_MatchesTheDocumentedLayout()
    {
        var path = Path.Combine(directory, "layout.uqlib");
        FittedFile.Save(path, "Thing", 1, writer => writer.Number("value", 0.5));
        var expected = SavedFiles.Envelope("Thing", SavedFiles.Fields(File.ReadAllBytes(path)));
        File.ReadAllBytes(path).Should().Equal(expected);
    }
}
