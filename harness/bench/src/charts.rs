//! Chart drawing with plotters: grouped bar charts (one group per program,
//! one bar per engine, optional whiskers and reference lines) and line
//! charts (history). Each chart is written as SVG and as PNG; PNG text uses
//! the bundled DejaVu Sans, so no system font library is needed.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// DejaVu Sans (Bitstream Vera license, see fonts/DejaVu-LICENSE.txt).
static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

const FAMILY: &str = "sans-serif";

/// Registers the bundled font as plotters' `sans-serif`. Any plotters user
/// in a process that links this crate needs it (the `ab_glyph` feature has
/// no system fonts), criterion's own plots included.
pub fn register_font() {
    REGISTER.call_once(|| {
        // The font is bundled and valid; should it ever fail to parse, the
        // PNG charts lose their text, nothing else.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

/// A fixed colour per engine, so every chart agrees.
pub fn engine_color(name: &str, index: usize) -> RGBColor {
    match name {
        "wasmtime" => RGBColor(31, 119, 180),
        "wasmtime-aot" => RGBColor(23, 190, 207),
        "winch" => RGBColor(255, 127, 14),
        "wasmi" => RGBColor(44, 160, 44),
        "interp" => RGBColor(214, 39, 40),
        "regjit" => RGBColor(148, 103, 189),
        "regjit-tiered" => RGBColor(197, 176, 213),
        "tjit" => RGBColor(140, 86, 75),
        "tjit-tiered" => RGBColor(196, 156, 148),
        _ => [RGBColor(227, 119, 194), RGBColor(127, 127, 127), RGBColor(188, 189, 34)][index % 3],
    }
}

/// One engine's bars.
pub struct Series {
    pub name: String,
    pub color: RGBColor,
    /// One value per group; `None` draws nothing (no data).
    pub values: Vec<Option<f64>>,
    /// Optional upper whisker per group (p99 above a p50 bar).
    pub whiskers: Option<Vec<Option<f64>>>,
}

/// A horizontal reference line (a target, a limit, parity).
pub struct RefLine {
    pub y: f64,
    pub label: String,
    pub color: RGBColor,
}

pub struct BarChart {
    pub title: String,
    pub y_desc: String,
    pub log: bool,
    pub groups: Vec<String>,
    pub series: Vec<Series>,
    pub lines: Vec<RefLine>,
}

/// One line per engine over the history.
pub struct LineChart {
    pub title: String,
    pub y_desc: String,
    pub log: bool,
    /// X labels (one per results file).
    pub points: Vec<String>,
    pub series: Vec<Series>,
    pub lines: Vec<RefLine>,
}

pub enum Chart {
    Bars(BarChart),
    Lines(LineChart),
}

pub const SIZE: (u32, u32) = (1300, 520);
/// Room right of the plot for the legend.
const LEGEND_WIDTH: u32 = 190;

/// Writes `<stem>.svg` and `<stem>.png` into `dir`.
pub fn render(chart: &Chart, dir: &Path, stem: &str) -> Result<(), String> {
    register_font();
    let svg = dir.join(format!("{stem}.svg"));
    draw(&SVGBackend::new(&svg, SIZE).into_drawing_area(), chart).map_err(|e| format!("{}: {e}", svg.display()))?;
    let png = dir.join(format!("{stem}.png"));
    draw(&BitMapBackend::new(&png, SIZE).into_drawing_area(), chart).map_err(|e| format!("{}: {e}", png.display()))?;
    Ok(())
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &Chart) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    match chart {
        Chart::Bars(c) => {
            let (lo, hi) = y_bounds(
                c.series
                    .iter()
                    .flat_map(|s| s.values.iter().chain(s.whiskers.iter().flatten()).flatten().copied())
                    .chain(c.lines.iter().map(|l| l.y)),
                c.log,
            );
            if c.log { bars(root, c, (lo..hi).log_scale()) } else { bars(root, c, lo..hi) }?
        }
        Chart::Lines(c) => {
            let (lo, hi) = y_bounds(
                c.series.iter().flat_map(|s| s.values.iter().flatten().copied()).chain(c.lines.iter().map(|l| l.y)),
                c.log,
            );
            if c.log { lines(root, c, (lo..hi).log_scale()) } else { lines(root, c, lo..hi) }?
        }
    }
    root.present().map_err(|e| e.to_string())
}

/// A y range that shows every value with some headroom (log: a factor).
fn y_bounds(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return if log { (0.1, 10.0) } else { (0.0, 1.0) };
    }
    if log { (lo / 2.0, hi * 2.5) } else { (0.0, if hi > 0.0 { hi * 1.15 } else { 1.0 }) }
}

fn label_style() -> TextStyle<'static> {
    (FAMILY, 13).into_font().color(&BLACK)
}

/// Log axes get a tick at 1, 2, ..., 9 times each power of ten; only 1, 2
/// and 5 get a label, so the axis stays readable.
fn format_log_y(v: f64) -> String {
    if v <= 0.0 {
        return String::new();
    }
    let mantissa = v / 10f64.powf(v.log10().floor());
    if [1.0, 2.0, 5.0, 10.0].iter().any(|m| (mantissa - m).abs() < 1e-6) { format_y(v) } else { String::new() }
}

fn format_y(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}").trim_end_matches('0').to_string()
    }
}

/// A chart with one category per x position (program names, run dates):
/// caption, axes, labels and mesh, shared by the bar and line charts.
#[allow(clippy::too_many_arguments)]
fn category_axes<'a, DB, Y>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    labels: &[String],
    x: std::ops::Range<f64>,
    y: Y,
    y_desc: &str,
    log: bool,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y::CoordDescType>>, String>
where
    DB: DrawingBackend,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FAMILY, 20))
        .margin(12)
        .margin_right(LEGEND_WIDTH)
        .x_label_area_size(34)
        .y_label_area_size(70)
        .build_cartesian_2d(x, y)
        .map_err(|e| e.to_string())?;
    let x_fmt = |x: &f64| {
        let i = x.round();
        if (x - i).abs() < 1e-6 && i >= 0.0 {
            labels.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    let y_fmt = |v: &f64| if log { format_log_y(*v) } else { format_y(*v) };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(labels.len().max(1))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .y_desc(y_desc)
        .label_style(label_style())
        .axis_desc_style((FAMILY, 14))
        .light_line_style(WHITE)
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(chart)
}

fn bars<DB, Y>(root: &DrawingArea<DB, Shift>, c: &BarChart, y: Y) -> Result<(), String>
where
    DB: DrawingBackend,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let n = c.groups.len().max(1);
    let mut chart = category_axes(root, &c.title, &c.groups, -0.5f64..(n as f64 - 0.5), y, &c.y_desc, c.log)?;
    let (y_lo, _) = {
        let r = chart.y_range();
        (r.start, r.end)
    };
    let k = c.series.len().max(1) as f64;
    let width = 0.8 / k;
    for (s, series) in c.series.iter().enumerate() {
        let color = series.color;
        let x0 = |g: usize| g as f64 - 0.4 + s as f64 * width;
        let rects = series.values.iter().enumerate().filter_map(|(g, v)| {
            v.map(|v| Rectangle::new([(x0(g) + width * 0.08, y_lo), (x0(g) + width * 0.92, v)], color.filled()))
        });
        chart.draw_series(rects).map_err(|e| e.to_string())?;
        if let Some(whiskers) = &series.whiskers {
            for (g, (v, w)) in series.values.iter().zip(whiskers).enumerate() {
                if let (Some(v), Some(w)) = (v, w) {
                    let mid = x0(g) + width / 2.0;
                    let style = BLACK.stroke_width(1);
                    chart.draw_series(LineSeries::new([(mid, *v), (mid, *w)], style)).map_err(|e| e.to_string())?;
                    chart
                        .draw_series(LineSeries::new([(mid - width * 0.3, *w), (mid + width * 0.3, *w)], style))
                        .map_err(|e| e.to_string())?;
                }
            }
        }
    }
    for line in &c.lines {
        let color = line.color;
        chart
            .draw_series(DashedLineSeries::new([(-0.5, line.y), (n as f64 - 0.5, line.y)], 8, 5, color.stroke_width(2)))
            .map_err(|e| e.to_string())?;
    }
    legend(root, &c.series, &c.lines, true)
}

fn lines<DB, Y>(root: &DrawingArea<DB, Shift>, c: &LineChart, y: Y) -> Result<(), String>
where
    DB: DrawingBackend,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let n = c.points.len().max(1);
    let mut chart = category_axes(root, &c.title, &c.points, -0.3f64..(n as f64 - 0.7), y, &c.y_desc, c.log)?;
    for series in &c.series {
        let color = series.color;
        let pts: Vec<(f64, f64)> =
            series.values.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i as f64, v))).collect();
        chart.draw_series(LineSeries::new(pts.clone(), color.stroke_width(2))).map_err(|e| e.to_string())?;
        chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 4, color.filled()))).map_err(|e| e.to_string())?;
    }
    for line in &c.lines {
        let color = line.color;
        chart
            .draw_series(DashedLineSeries::new([(-0.3, line.y), (n as f64 - 0.7, line.y)], 8, 5, color.stroke_width(2)))
            .map_err(|e| e.to_string())?;
    }
    legend(root, &c.series, &c.lines, false)
}

/// The legend, drawn right of the plot so it never hides data: a swatch
/// (a box for bars, a line for lines) per series, a dashed stroke per
/// reference line. Long labels wrap at the first space past the width.
fn legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    series: &[Series],
    lines: &[RefLine],
    boxes: bool,
) -> Result<(), String> {
    let x = SIZE.0 as i32 - LEGEND_WIDTH as i32 + 16;
    let mut y = 60;
    let text = |label: &str, y: i32| {
        root.draw(&Text::new(label.to_string(), (x + 22, y - 7), label_style())).map_err(|e| e.to_string())
    };
    for s in series {
        if boxes {
            root.draw(&Rectangle::new([(x, y - 6), (x + 14, y + 6)], s.color.filled())).map_err(|e| e.to_string())?;
        } else {
            root.draw(&PathElement::new([(x, y), (x + 16, y)], s.color.stroke_width(3))).map_err(|e| e.to_string())?;
        }
        text(&s.name, y)?;
        y += 22;
    }
    for l in lines {
        root.draw(&PathElement::new([(x, y), (x + 6, y)], l.color.stroke_width(2))).map_err(|e| e.to_string())?;
        root.draw(&PathElement::new([(x + 10, y), (x + 16, y)], l.color.stroke_width(2))).map_err(|e| e.to_string())?;
        for part in wrap(&l.label, 22) {
            text(&part, y)?;
            y += 17;
        }
        y += 5;
    }
    Ok(())
}

fn wrap(label: &str, width: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    for word in label.split(' ') {
        let last = out.last_mut().expect("never empty");
        if !last.is_empty() && last.len() + 1 + word.len() > width {
            out.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    out
}
