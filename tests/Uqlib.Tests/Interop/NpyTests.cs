using System;
using System.IO;
using FluentAssertions;
using TorchSharp;
using Uqlib.Interop;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Interop;

public sealed class NpyTests
{
    public static TheoryData<string> ReadableFiles => NpyCases.ReadableFiles();

    public static TheoryData<string> IdenticalFiles => NpyCases.IdenticalFiles();

    public static TheoryData<string, string> HostileFiles => NpyCases.HostileFiles(".npy");

    [Theory]
    [MemberData(nameof(ReadableFiles))]
    public void Read_FileWrittenByNumPy_GivesNumPysShapeDtypeAndValues(string file)
    {
        var expected = NpyCases.Readable(file);
        using var array = Npy.Read(NpyCases.PathOf(file));

        array.shape.Should().Equal(NpyCases.Shape(expected));
        array.dtype.Should().Be(NpyCases.Dtype(expected));
        array.is_contiguous().Should().BeTrue();
        if (array.is_floating_point() || array.dtype == ScalarType.Bool)
        {
            NpyCases.ValuesOf(array).Should().Equal(NpyCases.Values(expected));
        }
        else
        {
            NpyCases.IntegersOf(array).Should().Equal(NpyCases.Integers(expected));
        }
    }

    [Theory]
    [MemberData(nameof(IdenticalFiles))]
    public void Write_ArrayReadFromNumPysFile_BytesIdenticalToNpSave(string file)
    {
        using var array = Npy.Read(NpyCases.PathOf(file));
        using var written = NpyCases.Temporary(".npy");

        Npy.Write(written.Path, array);

        File.ReadAllBytes(written.Path).Should().Equal(File.ReadAllBytes(NpyCases.PathOf(file)));
    }

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public void Read_HostileFile_RefusedNamingTheFileAndTheProblem(string file, string expect)
    {
        var path = NpyCases.PathOf(file);
        var before = LiveTensors.Count;

        var act = () => Npy.Read(path);

        act.Should().Throw<InvalidDataException>().Which.Message.Should().StartWith(path).And.Contain(expect);
        LiveTensors.Count.Should().Be(before);
    }

    [Fact]
    public void Read_ShapeOfTrillionElements_RefusedBeforeAllocating()
    {
        var path = NpyCases.PathOf("shape_too_large.npy");

        var act = () => Npy.Read(path);

        // 4 TB of float32 were claimed; the refusal comes from comparing with the 24 bytes the file holds, not from a failed allocation.
        act.Should().Throw<InvalidDataException>().WithMessage("*claims 1000000000000 elements of float32 (4000000000000 bytes), but only 24 bytes follow*");
    }

    [Fact]
    public void Write_TransposedTensor_WritesItsValuesInCOrder()
    {
        using var matrix = torch.arange(12, dtype: ScalarType.Float32).reshape(3, 4);
        using var transposed = matrix.t();
        using var written = NpyCases.Temporary(".npy");

        Npy.Write(written.Path, transposed);
        using var back = Npy.Read(written.Path);

        back.shape.Should().Equal(4, 3);
        NpyCases.ValuesOf(back).Should().Equal(NpyCases.ValuesOf(transposed));
    }

    [Fact]
    public void Write_Bfloat16_ThrowsNamingArrayAndLeavesExistingFile()
    {
        using var written = NpyCases.Temporary(".npy");
        File.WriteAllText(written.Path, "previous");
        using var array = torch.ones(3, dtype: ScalarType.BFloat16);

        var act = () => Npy.Write(written.Path, array);

        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == "array" && e.Message.Contains("BFloat16", StringComparison.Ordinal));
        File.ReadAllText(written.Path).Should().Be("previous");
        File.Exists(written.Path + ".tmp").Should().BeFalse();
    }

    [Fact]
    public void Write_Uint16FileReadBack_WritesInt32AndNumPyValuesSurvive()
    {
        using var array = Npy.Read(NpyCases.PathOf("uint16_be.npy"));
        using var written = NpyCases.Temporary(".npy");

        Npy.Write(written.Path, array);
        using var back = Npy.Read(written.Path);

        back.dtype.Should().Be(ScalarType.Int32);
        NpyCases.IntegersOf(back).Should().Equal(0, 0, 1, 7, 65534, 65535);
    }

    [Fact]
    public void ReadWrite_LeaveNoLiveTensors()
    {
        using var written = NpyCases.Temporary(".npy");
        using var array = torch.randn(5, 3);
        var before = LiveTensors.Count;

        Npy.Write(written.Path, array);
        Npy.Read(written.Path).Dispose();
        Npy.Read(NpyCases.PathOf("int16_be_fortran.npy")).Dispose();

        LiveTensors.Count.Should().Be(before);
    }

    [Fact]
    public void Read_NullOrBlankPath_Throws()
    {
        FluentActions.Invoking(() => Npy.Read(null!)).Should().Throw<ArgumentNullException>().WithParameterName("path");
        FluentActions.Invoking(() => Npy.Read(" ")).Should().Throw<ArgumentException>().WithParameterName("path");
    }

    [Fact]
    public void Write_NullOrDisposedArray_Throws()
    {
        using var written = NpyCases.Temporary(".npy");
        var disposed = torch.ones(2);
        disposed.Dispose();

        FluentActions.Invoking(() => Npy.Write(written.Path, null!)).Should().Throw<ArgumentNullException>().WithParameterName("array");
        FluentActions.Invoking(() => Npy.Write(written.Path, disposed)).Should().Throw<ObjectDisposedException>();
        File.Exists(written.Path).Should().BeFalse();
    }
}
