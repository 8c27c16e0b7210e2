using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Imaging.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Imaging.Tests;

public sealed class NiftiTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Reference", "nifti");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Golden.Load(Path.Combine("nifti", "expected.json")).GetProperty("cases").EnumerateObject())
        {
            data.Add(c.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Read_NibabelFile_MatchesNibabelDataAffineAndZooms(string name)
    {
        var expected = Expected(name);

        using var volume = Nifti.Read(Path.Combine(Folder, name), new NiftiReadOptions { DataType = ScalarType.Float64 });

        volume.Data.shape.Should().Equal(Longs(expected.GetProperty("shape")));
        volume.Data.data<double>().ToArray().Should().Equal(Doubles(expected.GetProperty("data")));
        AffineError(volume.Affine, expected.GetProperty("affine")).Should().BeLessThanOrEqualTo(1e-12);
        volume.Header.VoxelSizes.Should().Equal(Doubles(expected.GetProperty("zooms")));
        volume.Header.AxisCodes.Should().Be(expected.GetProperty("axcodes").GetString());
        volume.Header.SformCode.Should().Be(expected.GetProperty("sform_code").GetInt32());
        volume.Header.QformCode.Should().Be(expected.GetProperty("qform_code").GetInt32());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ToCanonical_NibabelFile_MatchesAsClosestCanonical(string name)
    {
        var expected = Expected(name);
        using var volume = Nifti.Read(Path.Combine(Folder, name), new NiftiReadOptions { DataType = ScalarType.Float64 });

        var (data, affine) = volume.ToCanonical();
        using (data)
        {
            data.shape.Should().Equal(Longs(expected.GetProperty("canonical_shape")));
            data.data<double>().ToArray().Should().Equal(Doubles(expected.GetProperty("canonical_data")));
            AffineError(affine, expected.GetProperty("canonical_affine")).Should().BeLessThanOrEqualTo(1e-12);
            using var back = volume.Header.Orientation.FromCanonical(data);
            back.allclose(volume.Data, 0, 0).Should().BeTrue("reorienting there and back gives the data read");
        }
    }

    [Fact]
    public void Read_DefaultOptions_GivesFloat32OfTheSameValues()
    {
        using var f32 = Nifti.Read(Path.Combine(Folder, "i16_scaled.nii"));
        using var f64 = Nifti.Read(Path.Combine(Folder, "i16_scaled.nii"), new NiftiReadOptions { DataType = ScalarType.Float64 });

        f32.Data.dtype.Should().Be(ScalarType.Float32);
        f32.Data.to(ScalarType.Float64).allclose(f64.Data, 0, 0).Should().BeTrue("slope 0.5 and intercept −100 on int16 are exact in float32");
        f32.Header.IsScaled.Should().BeTrue();
        f32.Header.DataType.Should().Be(NiftiDataType.Int16);
    }

    [Fact]
    public void ReadHeader_Pair_ReadsTheHdrHalfWhenGivenTheImgHalf()
    {
        var header = Nifti.ReadHeader(Path.Combine(Folder, "f32_pair.img"));

        header.Shape.Should().Equal(5L, 4L, 3L);
        header.Version.Should().Be(1);
        header.AxisCodes.Should().Be(Expected("f32_pair.hdr").GetProperty("axcodes").GetString());
    }

    [Theory]
    [InlineData("out.nii")]
    [InlineData("out.nii.gz")]
    public void Write_LikeSource_RoundTripsDataAndAffine(string file)
    {
        using var folder = new TempFolder();
        using var source = Nifti.Read(Path.Combine(Folder, "i16_4d_qform.nii.gz"), new NiftiReadOptions { DataType = ScalarType.Float64 });
        using var map = source.Data.narrow(3, 0, 1).squeeze(3).to(ScalarType.Float32).div(7);
        var path = Path.Combine(folder.Path, file);

        Nifti.Write(path, map, source.Header);
        using var back = Nifti.Read(path);

        back.Data.allclose(map, 0, 0).Should().BeTrue();
        AffineError(back.Affine, source.Affine).Should().BeLessThan(1e-6, "float32 header fields");
        back.Header.QformCode.Should().Be(1);
        back.Header.SformCode.Should().Be(0);
        back.Header.AxisCodes.Should().Be(source.Header.AxisCodes);
        Directory.GetFiles(folder.Path).Should().ContainSingle("the temporary file is moved into place");
    }

    [Theory]
    [InlineData(ScalarType.Bool, NiftiDataType.UInt8)]
    [InlineData(ScalarType.Byte, NiftiDataType.UInt8)]
    [InlineData(ScalarType.Int8, NiftiDataType.Int8)]
    [InlineData(ScalarType.Int16, NiftiDataType.Int16)]
    [InlineData(ScalarType.Int32, NiftiDataType.Int32)]
    [InlineData(ScalarType.Float64, NiftiDataType.Float64)]
    public void Write_EachType_StoresItAndReadsBackExactly(ScalarType type, NiftiDataType stored)
    {
        using var folder = new TempFolder();
        using var values = torch.arange(0, 60, dtype: ScalarType.Int32).remainder(type == ScalarType.Bool ? 2 : 100).reshape(5, 4, 3);
        using var data = values.to(type);
        var path = Path.Combine(folder.Path, "v.nii");

        Nifti.Write(path, data, NiftiAffine.Identity);
        using var back = Nifti.Read(path, new NiftiReadOptions { DataType = ScalarType.Float64 });

        back.Header.DataType.Should().Be(stored);
        back.Data.allclose(values.to(ScalarType.Float64), 0, 0).Should().BeTrue();
        back.Header.AxisCodes.Should().Be("RAS");
    }

    [Fact]
    public void Write_LargeVolume_RoundTripsAcrossReadChunks()
    {
        // 2.6 MB of float32: several of the reader's 1 MiB chunks.
        using var folder = new TempFolder();
        var generator = new Generator().manual_seed(3);
        using var data = torch.randn(new long[] { 128, 128, 40 }, generator: generator);
        var affine = NiftiAffine.FromArray(new double[,] { { 0, 0, -2, 10 }, { 0.5, 0, 0, -3 }, { 0, 0.75, 0, 4 }, { 0, 0, 0, 1 } });
        var path = Path.Combine(folder.Path, "big.nii.gz");

        Nifti.Write(path, data, affine);
        using var back = Nifti.Read(path);

        back.Data.allclose(data, 0, 0).Should().BeTrue();
        back.Affine.Should().Be(affine);
        back.Header.VoxelSizes.Should().Equal(0.5, 0.75, 2.0);
        back.Header.AxisCodes.Should().Be("ASL");
    }

    [Fact]
    public void Write_UqlibFile_IsByteIdenticalToTheCommittedFileNibabelRead()
    {
        // Reference/nifti_written.json records what nibabel read from uqlib_written.nii (make_nifti_written.py).
        using var folder = new TempFolder();
        using var source = Nifti.Read(Path.Combine(Folder, "f32_le.nii"));
        using var map = WrittenMap(source);
        var path = Path.Combine(folder.Path, "uqlib_written.nii");

        Nifti.Write(path, map, source.Header);

        File.ReadAllBytes(path).Should().Equal(File.ReadAllBytes(Path.Combine(Folder, "uqlib_written.nii")));
        var expected = Golden.Load("nifti_written.json");
        map.to(ScalarType.Float64).data<double>().ToArray().Should().Equal(Doubles(expected.GetProperty("data")));
        AffineError(source.Affine, expected.GetProperty("affine")).Should().BeLessThan(1e-6);
    }

    [Fact]
    public void Write_UqlibFile_ReadByNibabelWhereItIsInstalled()
    {
        const string python = "/usr/bin/python3";
        if (!File.Exists(python) || !PythonHas(python, "nibabel"))
        {
            return; // The committed-fixture test above covers machines without nibabel (CI).
        }

        using var folder = new TempFolder();
        using var source = Nifti.Read(Path.Combine(Folder, "i16_be.nii"));
        using var map = WrittenMap(source);
        var path = Path.Combine(folder.Path, "map.nii.gz");
        Nifti.Write(path, map, source.Header);

        var output = Run(python, "-c", "import sys, json, nibabel as nib, numpy as np; i = nib.load(sys.argv[1]); " +
            "print(json.dumps({'data': np.asanyarray(i.dataobj).astype(float).ravel().tolist(), 'affine': i.affine.tolist()}))", path);
        using var json = JsonDocument.Parse(output);
        map.to(ScalarType.Float64).data<double>().ToArray().Should().Equal(Doubles(json.RootElement.GetProperty("data")));
        AffineError(source.Affine, json.RootElement.GetProperty("affine")).Should().BeLessThan(1e-6);
    }

    [Fact]
    public void Read_SizeofHdrWrong_NamesTheFileAndTheValue()
    {
        using var folder = new TempFolder();
        var bytes = Fixture("u8_le.nii");
        BitConverter.GetBytes(349).CopyTo(bytes, 0);
        var path = folder.Write("bad.nii", bytes);

        var act = () => Nifti.Read(path);

        act.Should().Throw<InvalidImageException>().Where(e => e.FilePath == path && e.Message.Contains("sizeof_hdr is 349"));
    }

    [Fact]
    public void Read_BadMagic_Refused()
    {
        using var folder = new TempFolder();
        var bytes = Fixture("u8_le.nii");
        "xx1\0"u8.ToArray().CopyTo(bytes, 344);
        var path = folder.Write("bad.nii", bytes);

        var act = () => Nifti.Read(path);

        act.Should().Throw<InvalidImageException>().WithMessage("*magic string is 'xx1'*'n+1'*");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(-1)]
    public void Read_Dim0OutOfRange_Refused(short rank)
    {
        using var folder = new TempFolder();
        var bytes = Fixture("u8_le.nii");
        BitConverter.GetBytes(rank).CopyTo(bytes, 40);
        var path = folder.Write("bad.nii", bytes);

        var act = () => Nifti.Read(path);

        act.Should().Throw<InvalidImageException>().WithMessage($"*dim[0] is {rank}*between 1 and 7*");
    }

    [Fact]
    public void Read_TruncatedData_SaysHowManyBytesAreMissing()
    {
        using var folder = new TempFolder();
        var bytes = Fixture("i16_le.nii");
        var path = folder.Write("cut.nii", bytes[..^10]);

        var act = () => Nifti.Read(path);

        act.Should().Throw<InvalidImageException>().WithMessage("*claims 120 bytes of voxel data from offset 352*holds 110*");
    }

    [Fact]
    public void Read_TruncatedGzip_Refused()
    {
        using var folder = new TempFolder();
        var path = folder.Write("cut.nii.gz", Gzip(Fixture("i16_le.nii")[..^10]));

        var act = () => Nifti.Read(path);

        act.Should().Throw<InvalidImageException>().WithMessage("*ends inside the voxel data after 110 of 120 bytes*truncated*");
    }

    [Fact]
    public void Read_VoxOffsetPastTheEnd_Refused()
    {
        using var folder = new TempFolder();
        var bytes = Fixture("i16_le.nii");
        BitConverter.GetBytes(100_000f).CopyTo(bytes, 108);
        var path = folder.Write("far.nii", bytes);

        var act = () => Nifti.Read(path);

        act.Should().Throw<InvalidImageException>().WithMessage("*from offset 100000*holds 0*");
    }

    [Fact]
    public void Read_HugeClaimedVolume_RefusedBeforeAllocating()
    {
        using var folder = new TempFolder();
        var bytes = Fixture("u8_le.nii");
        for (int i = 0; i < 3; i++)
        {
            BitConverter.GetBytes((short)30_000).CopyTo(bytes, 42 + (2 * i)); // 2.7e13 voxels: NIfTI-1 dims are int16
        }

        var path = folder.Write("huge.nii", bytes);

        var act = () => Nifti.Read(path);

        act.Should().Throw<InvalidImageException>().WithMessage("*[30000, 30000, 30000]*more than MaxVoxels (1073741824)*");
    }

    [Fact]
    public void Read_Nifti2Claiming100000Cubed_RefusedBeforeAllocating()
    {
        using var folder = new TempFolder();
        var bytes = Fixture("f64_n2.nii");
        for (int i = 0; i < 3; i++)
        {
            BitConverter.GetBytes(100_000L).CopyTo(bytes, 24 + (8 * i));
        }

        var path = folder.Write("huge.nii", bytes);

        var act = () => Nifti.Read(path, new NiftiReadOptions { MaxVoxels = 1L << 40 });

        act.Should().Throw<InvalidImageException>().WithMessage("*[100000, 100000, 100000]*more than MaxVoxels*");
    }

    [Fact]
    public void Read_GzipBomb_StopsAtTheHeadersSize()
    {
        // A 5×4×3 header followed by 200 MB of zeros, compressed to a few hundred KB: only the 60 bytes the header claims are read.
        using var folder = new TempFolder();
        var header = Fixture("u8_le.nii");
        var path = Path.Combine(folder.Path, "bomb.nii.gz");
        using (var file = File.Create(path))
        using (var gz = new GZipStream(file, CompressionLevel.SmallestSize))
        {
            gz.Write(header);
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 200; i++)
            {
                gz.Write(zeros);
            }
        }

        using var volume = Nifti.Read(path);

        volume.Data.shape.Should().Equal(5L, 4L, 3L);
        new FileInfo(path).Length.Should().BeLessThan(1_000_000);
    }

    [Fact]
    public void Read_BitpixDisagreeingWithDatatype_Refused()
    {
        using var folder = new TempFolder();
        var bytes = Fixture("i16_le.nii");
        BitConverter.GetBytes((short)8).CopyTo(bytes, 72);
        var path = folder.Write("bits.nii", bytes);

        var act = () => Nifti.Read(path);

        act.Should().Throw<InvalidImageException>().WithMessage("*bitpix is 8; datatype Int16 has 16*");
    }

    [Fact]
    public void Read_UnsupportedDatatype_ListsTheSupportedOnes()
    {
        using var folder = new TempFolder();
        var bytes = Fixture("i16_le.nii");
        BitConverter.GetBytes((short)1024).CopyTo(bytes, 70);
        var path = folder.Write("int64.nii", bytes);

        var act = () => Nifti.Read(path);

        act.Should().Throw<InvalidImageException>().WithMessage("*datatype 1024 is not supported*512 (uint16)*");
    }

    [Fact]
    public void Read_SlopeWithInfiniteIntercept_Refused()
    {
        using var folder = new TempFolder();
        var bytes = Fixture("i16_le.nii");
        BitConverter.GetBytes(2f).CopyTo(bytes, 112);
        BitConverter.GetBytes(float.PositiveInfinity).CopyTo(bytes, 116);
        var path = folder.Write("inter.nii", bytes);

        var act = () => Nifti.Read(path);

        act.Should().Throw<InvalidImageException>().WithMessage("*intercept must be finite*");
    }

    [Fact]
    public void Read_MissingImgHalf_NamesIt()
    {
        using var folder = new TempFolder();
        var path = folder.Write("alone.hdr", Fixture("f32_pair.hdr"));

        var act = () => Nifti.Read(path);

        act.Should().Throw<FileNotFoundException>().Where(e => e.FileName!.EndsWith("alone.img", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("volume.mha")]
    [InlineData("")]
    public void Read_NotANiftiPath_ThrowsArgumentException(string path)
    {
        var act = () => Nifti.Read(path);

        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == "path");
    }

    [Fact]
    public void Read_InvalidOptions_ListsEveryProblem()
    {
        var act = () => Nifti.Read(Path.Combine(Folder, "u8_le.nii"), new NiftiReadOptions { DataType = ScalarType.Int64, MaxVoxels = 0 });

        act.Should().Throw<ArgumentException>().WithMessage("*DataType must be Float32 or Float64*MaxVoxels must be between 1 and 2^40*");
    }

    [Fact]
    public void Write_ShapeUnlikeTheSource_Refused()
    {
        using var folder = new TempFolder();
        var header = Nifti.ReadHeader(Path.Combine(Folder, "u8_le.nii"));
        using var data = torch.zeros(5, 4, 2);

        var act = () => Nifti.Write(Path.Combine(folder.Path, "x.nii"), data, header);

        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == "data").WithMessage("*spatial shape of like, [5, 4, 3]*[5, 4, 2]*");
    }

    [Fact]
    public void Write_Int64OrWrongExtension_Refused()
    {
        using var folder = new TempFolder();
        using var longs = torch.zeros(new long[] { 2, 2, 2 }, ScalarType.Int64);
        using var floats = torch.zeros(2, 2, 2);

        var int64 = () => Nifti.Write(Path.Combine(folder.Path, "x.nii"), longs, NiftiAffine.Identity);
        var extension = () => Nifti.Write(Path.Combine(folder.Path, "x.nrrd"), floats, NiftiAffine.Identity);

        int64.Should().Throw<ArgumentException>().Where(e => e.ParamName == "data").WithMessage("*Int64*convert it first*");
        extension.Should().Throw<ArgumentException>().Where(e => e.ParamName == "path");
        Directory.GetFiles(folder.Path).Should().BeEmpty();
    }

    [Fact]
    public void Data_AfterDispose_ThrowsObjectDisposedException()
    {
        var volume = Nifti.Read(Path.Combine(Folder, "u8_le.nii"));
        volume.Dispose();
        volume.Dispose();

        var act = () => volume.Data;

        act.Should().Throw<ObjectDisposedException>().WithMessage("*NiftiVolume*");
    }

    [Fact]
    public void FromArray_LastRowNotHomogeneous_Refused()
    {
        var act = () => NiftiAffine.FromArray(new double[,] { { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 1, 0 }, { 0, 0, 1, 1 } });

        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == "values").WithMessage("*last row*");
    }

    internal static Tensor WrittenMap(NiftiVolume source) =>
        source.Data.to(ScalarType.Float32).abs().add(1).log();

    private static JsonElement Expected(string name) =>
        Golden.Load(Path.Combine("nifti", "expected.json")).GetProperty("cases").GetProperty(name);

    private static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(Folder, name));

    private static byte[] Gzip(byte[] bytes)
    {
        using var memory = new MemoryStream();
        using (var gz = new GZipStream(memory, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(bytes);
        }

        return memory.ToArray();
    }

    private static long[] Longs(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt64()).ToArray();

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static double AffineError(NiftiAffine actual, JsonElement expected)
    {
        double worst = 0;
        int row = 0;
        foreach (var r in expected.EnumerateArray())
        {
            int col = 0;
            foreach (var v in r.EnumerateArray())
            {
                worst = Math.Max(worst, Math.Abs(actual[row, col] - v.GetDouble()));
                col++;
            }

            row++;
        }

        return worst;
    }

    private static double AffineError(NiftiAffine actual, NiftiAffine expected)
    {
        double worst = 0;
        for (int r = 0; r < 4; r++)
        {
            for (int c = 0; c < 4; c++)
            {
                worst = Math.Max(worst, Math.Abs(actual[r, c] - expected[r, c]));
            }
        }

        return worst;
    }

    private static bool PythonHas(string python, string module)
    {
        try
        {
            Run(python, "-c", $"import {module}");
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string Run(string file, params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed: {error}");
        }

        return output;
    }
}
