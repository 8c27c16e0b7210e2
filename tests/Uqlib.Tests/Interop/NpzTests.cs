using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Interop;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Interop;

public sealed class NpzTests
{
    public static TheoryData<string, string> HostileFiles => NpyCases.HostileFiles(".npz");

    public static TheoryData<string> Archives => new() { "outputs_stored.npz", "outputs_deflated.npz" };

    [Theory]
    [MemberData(nameof(Archives))]
    public void ReadAll_ArchiveWrittenByNumPy_GivesEveryArrayInOrder(string file)
    {
        var expected = NpyCases.Archives;
        var arrays = Npz.ReadAll(NpyCases.PathOf(file));
        try
        {
            arrays.Keys.Should().Equal("logits", "labels", "mask");
            arrays["logits"].shape.Should().Equal(5, 3);
            arrays["logits"].dtype.Should().Be(ScalarType.Float32);
            NpyCases.ValuesOf(arrays["logits"]).Should().Equal(Golden.Vector(expected.GetProperty("logits")));
            NpyCases.IntegersOf(arrays["labels"]).Should().Equal(expected.GetProperty("labels").EnumerateArray().Select(v => v.GetInt64()));
            arrays["mask"].dtype.Should().Be(ScalarType.Bool);
            NpyCases.ValuesOf(arrays["mask"]).Should().Equal(expected.GetProperty("mask").EnumerateArray().Select(v => v.GetBoolean() ? 1.0 : 0.0));
        }
        finally
        {
            foreach (var array in arrays.Values)
            {
                array.Dispose();
            }
        }
    }

    [Theory]
    [MemberData(nameof(Archives))]
    public void Read_OneArray_GivesItAndNamesListsAll(string file)
    {
        var path = NpyCases.PathOf(file);
        using var labels = Npz.Read(path, "labels");

        NpyCases.IntegersOf(labels).Should().Equal(0, 2, 1, 1, 0);
        Npz.Names(path).Should().Equal("logits", "labels", "mask");
    }

    [Fact]
    public void Read_MissingName_ThrowsListingTheMembers()
    {
        var path = NpyCases.PathOf("outputs_stored.npz");

        var act = () => Npz.Read(path, "features");

        act.Should().Throw<KeyNotFoundException>().WithMessage("*no array named 'features'*logits.npy, labels.npy, mask.npy*");
    }

    [Fact]
    public void Write_ArraysOfNumPysArchive_MembersBytesIdenticalToNpSavez()
    {
        var original = NpyCases.PathOf("outputs_stored.npz");
        using var written = NpyCases.Temporary(".npz");
        WriteOutputs(written.Path, compressed: false);

        Members(written.Path).Should().BeEquivalentTo(Members(original), options => options.WithStrictOrdering());
    }

    [Theory]
    [InlineData(false, "written_by_uqlib_stored.npz")]
    [InlineData(true, "written_by_uqlib_deflated.npz")]
    public void Write_Outputs_MatchTheArchiveNumPyCheckedAndUseTheRightMethod(bool compressed, string checkedByNumPy)
    {
        // make_npy.py loads the committed archives with np.load and checks every value and dtype (C# -> file -> NumPy).
        using var written = NpyCases.Temporary(".npz");
        WriteOutputs(written.Path, compressed);

        Members(written.Path).Should().BeEquivalentTo(Members(NpyCases.PathOf(checkedByNumPy)), options => options.WithStrictOrdering());
        using var archive = ZipFile.OpenRead(written.Path);
        archive.Entries.Should().OnlyContain(e => compressed ? e.CompressedLength < e.Length : e.CompressedLength == e.Length);
        if (!compressed)
        {
            File.ReadAllBytes(written.Path).Should().Equal(File.ReadAllBytes(NpyCases.PathOf(checkedByNumPy)));
        }
    }

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public void ReadAll_HostileArchive_RefusedNamingTheFileAndTheMember(string file, string expect)
    {
        var path = NpyCases.PathOf(file);
        var before = LiveTensors.Count;

        var act = () => Npz.ReadAll(path);

        act.Should().Throw<InvalidDataException>().Which.Message.Should().StartWith(path).And.Contain(expect);
        LiveTensors.Count.Should().Be(before);
    }

    [Fact]
    public void Read_MemberInflatingBeyondItsDeclaredSize_InflatesOnlyTheDeclaredBytes()
    {
        // lying_size.npz: the zip headers declare a 4-element array; the deflate stream holds 4096 bytes more.
        using var array = Npz.Read(NpyCases.PathOf("lying_size.npz"), "x");

        array.shape.Should().Equal(4);
        NpyCases.IntegersOf(array).Should().Equal(0, 0, 0, 0);
    }

    [Fact]
    public void Write_EmptyOrBadNames_Throws()
    {
        using var written = NpyCases.Temporary(".npz");
        using var array = torch.ones(2);

        FluentActions.Invoking(() => Npz.Write(written.Path, new Dictionary<string, Tensor>()))
            .Should().Throw<ArgumentException>().WithParameterName("arrays");
        FluentActions.Invoking(() => Npz.Write(written.Path, new Dictionary<string, Tensor> { ["a/b"] = array }))
            .Should().Throw<ArgumentException>().WithMessage("*\"a/b\"*path separator*");
        FluentActions.Invoking(() => Npz.WriteCompressed(written.Path, null!)).Should().Throw<ArgumentNullException>().WithParameterName("arrays");
        File.Exists(written.Path).Should().BeFalse();
    }

    private static void WriteOutputs(string path, bool compressed)
    {
        var expected = NpyCases.Archives;
        using var scope = torch.NewDisposeScope();
        var arrays = new Dictionary<string, Tensor>
        {
            ["logits"] = torch.tensor(Golden.Vector(expected.GetProperty("logits")), ScalarType.Float32).reshape(5, 3),
            ["labels"] = torch.tensor(expected.GetProperty("labels").EnumerateArray().Select(v => v.GetInt64()).ToArray()),
            ["mask"] = torch.tensor(expected.GetProperty("mask").EnumerateArray().Select(v => v.GetBoolean()).ToArray()),
        };
        if (compressed)
        {
            Npz.WriteCompressed(path, arrays);
        }
        else
        {
            Npz.Write(path, arrays);
        }
    }

    private static List<(string Name, byte[] Bytes)> Members(string path)
    {
        using var archive = ZipFile.OpenRead(path);
        return archive.Entries.Select(e =>
        {
            using var stream = e.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return (e.FullName, copy.ToArray());
        }).ToList();
    }
}
