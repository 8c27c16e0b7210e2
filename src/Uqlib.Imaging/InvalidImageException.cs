using System;

namespace Uqlib.Imaging;

/// <summary>The exception thrown when a file is not a valid, complete image of a supported format, or is larger than allowed.</summary>
public sealed class InvalidImageException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="InvalidImageException"/> class.</summary>
    public InvalidImageException()
        : this("The image is invalid.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="InvalidImageException"/> class with a message.</summary>
    /// <param name="message">The message.</param>
    public InvalidImageException(string message)
        : base(message)
    {
        FilePath = string.Empty;
    }

    /// <summary>Initializes a new instance of the <see cref="InvalidImageException"/> class with a message and the error that caused it.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The error that caused it.</param>
    public InvalidImageException(string message, Exception? innerException)
        : base(message, innerException)
    {
        FilePath = string.Empty;
    }

    /// <summary>Initializes a new instance of the <see cref="InvalidImageException"/> class for a file.</summary>
    /// <param name="filePath">The file (or stream name) that is invalid.</param>
    /// <param name="problem">What is wrong with it, as a sentence.</param>
    /// <param name="innerException">The error that revealed it, or <see langword="null"/>.</param>
    public InvalidImageException(string filePath, string problem, Exception? innerException)
        : base($"{filePath}: {problem}", innerException)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>Gets the file (or stream name) that is invalid; empty when unknown.</summary>
    public string FilePath { get; }

    /// <summary>Gets what is wrong with the file, without its name.</summary>
    public string Problem { get; } = string.Empty;
}
