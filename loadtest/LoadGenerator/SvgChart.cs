using System.Globalization;
using System.Net;
using System.Text;

namespace LoadGenerator;

/// <summary>A line per series over seconds; NaN leaves a gap (a second without requests has no latency).</summary>
internal sealed record ChartLine(string Name, string Color, IReadOnlyList<double> Values, bool Dashed = false);

/// <summary>Plain inline SVG line charts, so the HTML report needs no script or network to open.</summary>
internal static class SvgChart
{
    private const int Width = 1100;
    private const int Height = 300;
    private const int Left = 70;
    private const int Right = 20;
    private const int Top = 44;
    private const int Bottom = 40;
    private static readonly int[] Multiples = [1, 2, 5, 10];

    /// <param name="layered">Lines that may cover each other exactly (orders and categories per second):
    /// earlier lines are drawn wider, so a covered line still shows.</param>
    public static string Render(string title, string unit, IReadOnlyList<ChartLine> lines, bool layered = false)
    {
        const int plotWidth = Width - Left - Right;
        const int plotHeight = Height - Top - Bottom;
        var points = Math.Max(1, lines.Max(l => l.Values.Count));
        var maxValue = lines.SelectMany(l => l.Values).Where(double.IsFinite).DefaultIfEmpty(0).Max();
        var yStep = NiceStep(maxValue > 0 ? maxValue / 5 : 0.2);
        var yMax = yStep * Math.Max(1, Math.Ceiling(maxValue / yStep));
        var xSpan = Math.Max(1, points - 1);
        var xStep = NiceStep(xSpan / 12.0, integer: true);

        double X(double second) => Left + (second / xSpan * plotWidth);
        double Y(double value) => Top + plotHeight - (value / yMax * plotHeight);

        var svg = new StringBuilder();
        Append(svg, $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\" role=\"img\">");
        Append(svg, $"<title>{Escape(title)}</title>");
        Append(svg, $"<text x=\"{Left}\" y=\"20\" class=\"chart-title\">{Escape(title)}</text>");

        for (var tick = 0.0; tick <= yMax + (yStep / 2); tick += yStep)
        {
            Append(svg, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Y(tick):0.0}\" y2=\"{Y(tick):0.0}\" class=\"grid\"/>");
            Append(svg, $"<text x=\"{Left - 8}\" y=\"{Y(tick) + 4:0.0}\" text-anchor=\"end\" class=\"tick\">{Tick(tick)}</text>");
        }

        for (var second = 0.0; second <= xSpan + 0.001; second += xStep)
        {
            Append(svg, $"<line x1=\"{X(second):0.0}\" x2=\"{X(second):0.0}\" y1=\"{Top}\" y2=\"{Top + plotHeight}\" class=\"grid\"/>");
            Append(svg, $"<text x=\"{X(second):0.0}\" y=\"{Top + plotHeight + 16}\" text-anchor=\"middle\" class=\"tick\">{second:0}s</text>");
        }

        Append(svg, $"<text x=\"14\" y=\"{Top + (plotHeight / 2)}\" transform=\"rotate(-90 14 {Top + (plotHeight / 2)})\" text-anchor=\"middle\" class=\"tick\">{Escape(unit)}</text>");
        Append(svg, $"<text x=\"{Left + (plotWidth / 2)}\" y=\"{Height - 6}\" text-anchor=\"middle\" class=\"tick\">seconds since start</text>");
        Append(svg, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" class=\"frame\"/>");

        for (var index = 0; index < lines.Count; index++)
        {
            var line = lines[index];
            var width = layered ? 2 + ((lines.Count - 1 - index) * 1.5) : 2;
            var dash = line.Dashed ? " stroke-dasharray=\"6 4\"" : "";
            foreach (var run in Runs(line.Values))
            {
                var coordinates = string.Join(' ', run.Select(i =>
                    string.Create(CultureInfo.InvariantCulture, $"{X(i):0.0},{Y(line.Values[i]):0.0}")));
                Append(svg, $"<polyline points=\"{coordinates}\" fill=\"none\" stroke=\"{line.Color}\" stroke-width=\"{width:0.0}\"{dash}/>");
                if (points <= 120)
                {
                    foreach (var i in run)
                    {
                        Append(svg, $"<circle cx=\"{X(i):0.0}\" cy=\"{Y(line.Values[i]):0.0}\" r=\"2.5\" fill=\"{line.Color}\"><title>{Escape(line.Name)} at {i}s: {Tick(line.Values[i])} {Escape(unit)}</title></circle>");
                    }
                }
            }
        }

        var legendX = (double)Width - Right;
        for (var i = lines.Count - 1; i >= 0; i--)
        {
            var line = lines[i];
            legendX -= 26 + (line.Name.Length * 7.2);
            Append(svg, $"<line x1=\"{legendX:0.0}\" x2=\"{legendX + 16:0.0}\" y1=\"30\" y2=\"30\" stroke=\"{line.Color}\" stroke-width=\"3\"{(line.Dashed ? " stroke-dasharray=\"4 3\"" : "")}/>");
            Append(svg, $"<text x=\"{legendX + 20:0.0}\" y=\"34\" class=\"legend\">{Escape(line.Name)}</text>");
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>1, 2 or 5 times a power of ten, at least <paramref name="rough"/>.</summary>
    private static double NiceStep(double rough, bool integer = false)
    {
        if (rough <= 0)
        {
            return 1;
        }

        var power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var step = Multiples.Select(m => m * power).First(s => s >= rough * 0.999);
        return integer ? Math.Max(1, Math.Ceiling(step)) : step;
    }

    /// <summary>Index runs between NaN gaps.</summary>
    private static IEnumerable<List<int>> Runs(IReadOnlyList<double> values)
    {
        var run = new List<int>();
        for (var i = 0; i < values.Count; i++)
        {
            if (double.IsFinite(values[i]))
            {
                run.Add(i);
            }
            else if (run.Count > 0)
            {
                yield return run;
                run = [];
            }
        }

        if (run.Count > 0)
        {
            yield return run;
        }
    }

    private static string Tick(double value) =>
        value.ToString(Math.Abs(value) >= 100 || value == Math.Floor(value) ? "#,0" : "0.##", CultureInfo.InvariantCulture);

    private static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static void Append(StringBuilder svg, FormattableString text) =>
        svg.Append(text.ToString(CultureInfo.InvariantCulture)).Append('\n');
}
