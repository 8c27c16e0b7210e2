using System;
using System.Globalization;
using System.Net;

namespace Uqlib.Interactive;

/// <summary>An <c>img</c> element holding a PNG as a data URI, so an executed notebook carries its pictures with it.</summary>
internal static class ImageHtml
{
    public static string Png(byte[] png, int width, int height, string alt) =>
        string.Create(CultureInfo.InvariantCulture,
            $"<img src=\"data:image/png;base64,{Convert.ToBase64String(png)}\" width=\"{width}\" height=\"{height}\" alt=\"{WebUtility.HtmlEncode(alt)}\" />");
}
