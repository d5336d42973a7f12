using QRCoder;

namespace ConcertTicket.Tickets;

/// <summary>A ticket code as a QR image. Level M survives a scuffed phone screen and keeps a 400-character code legible.</summary>
internal static class TicketQr
{
    public static byte[] Png(string code, int pixelsPerModule = 6)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(code, QRCodeGenerator.ECCLevel.M);
        return new PngByteQRCode(data).GetGraphic(pixelsPerModule);
    }

    public static string Svg(string code)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(code, QRCodeGenerator.ECCLevel.M);
        return new SvgQRCode(data).GetGraphic(6);
    }
}
