using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using Uqlib.Calibration;
using Uqlib.Cli.Io;
using Uqlib.Combination;

namespace Uqlib.Cli.Commands;

/// <summary>
/// Opens a file saved by the library's <c>Save</c> methods by the kind its envelope names (the documented header of every saved file:
/// a 10-byte signature, an int32 length and a JSON header with <c>"kind"</c>), so that commands accept any calibrator or combiner.
/// </summary>
internal static class SavedFiles
{
    /// <summary>Reads the kind (the library's public type name) from a saved file's header.</summary>
    public static string Kind(string path, string option)
    {
        if (!File.Exists(path))
        {
            throw CliException.Input(option, $"file not found: '{path}'");
        }

        try
        {
            using var stream = File.OpenRead(path);
            Span<byte> head = stackalloc byte[14];
            stream.ReadExactly(head);
            if (head[0] != 0x89 || head[1] != (byte)'U' || head[5] != (byte)'B')
            {
                throw CliException.Input(option, $"'{path}' is not a file saved by Uqlib (no Uqlib signature)");
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(head[10..]);
            if (length is <= 0 or > 1 << 16)
            {
                throw CliException.Input(option, $"'{path}' has a corrupt header");
            }

            var json = new byte[length];
            stream.ReadExactly(json);
            using var header = JsonDocument.Parse(json);
            return header.RootElement.GetProperty("kind").GetString() ?? throw CliException.Input(option, $"'{path}' names no kind");
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException)
        {
            throw CliException.Input(option, $"'{path}' is not a valid Uqlib file: {ArrayInput.OneLine(e.Message)}");
        }
    }

    /// <summary>Loads any saved calibrator.</summary>
    public static ICalibrator LoadCalibrator(string path, string option) => Kind(path, option) switch
    {
        nameof(TemperatureScaling) => TemperatureScaling.Load(path),
        nameof(VectorScaling) => VectorScaling.Load(path),
        nameof(MatrixScaling) => MatrixScaling.Load(path),
        nameof(PlattScaling) => PlattScaling.Load(path),
        nameof(IsotonicCalibration) => IsotonicCalibration.Load(path),
        nameof(HistogramBinning) => HistogramBinning.Load(path),
        var kind => throw CliException.Input(option, $"'{path}' holds a {kind}, not a calibrator"),
    };

    /// <summary>Loads any saved combiner.</summary>
    public static ICombiner LoadCombiner(string path, string option) => Kind(path, option) switch
    {
        nameof(RankCombiner) => RankCombiner.Load(path),
        nameof(ZScoreCombiner) => ZScoreCombiner.Load(path),
        nameof(LogisticCombiner) => LogisticCombiner.Load(path),
        var kind => throw CliException.Input(option, $"'{path}' holds a {kind}, not a combiner"),
    };
}
