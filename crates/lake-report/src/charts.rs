//! The HTML report's charts, drawn by plotters' SVG backend: inline SVG, no fonts bundled
//! (the browser lays out the text; plotters only estimates its size), no script.

use plotters::prelude::*;

use crate::model::{Report, SEVERITIES};

/// Chart width in SVG units (the page scales it down on a phone).
const WIDTH: u32 = 720;
/// At most this many accounts are drawn in the pass-rate chart (the lowest rates).
pub const MAX_ACCOUNTS: usize = 30;

type Drawn = Result<(), Box<dyn std::error::Error>>;

/// Fill colours of the severities, most severe first.
pub const SEVERITY_COLOURS: [RGBColor; 5] = [
    RGBColor(0x8e, 0x1b, 0x1b),
    RGBColor(0xd6, 0x45, 0x41),
    RGBColor(0xf0, 0xa0, 0x3c),
    RGBColor(0x4a, 0x90, 0xc2),
    RGBColor(0x9e, 0x9e, 0x9e),
];
const NEW: RGBColor = RGBColor(0xd6, 0x45, 0x41);
const RESOLVED: RGBColor = RGBColor(0x3b, 0x9a, 0x5a);

/// `2026-W21` as `W21` (the axis names the year once).
fn short_week(week: &str) -> String {
    week.split_once('-').map_or(week, |(_, w)| w).to_owned()
}

fn year_span(report: &Report) -> String {
    let first = report.trend.first().map(|t| &t.week[..4.min(t.week.len())]);
    let last = report.trend.last().map(|t| &t.week[..4.min(t.week.len())]);
    match (first, last) {
        (Some(a), Some(b)) if a != b => format!("ISO week, {a}-{b}"),
        (Some(a), _) => format!("ISO week, {a}"),
        _ => "ISO week".to_owned(),
    }
}

/// Open FAIL by severity per week, stacked.
pub fn open_fail_by_severity(report: &Report) -> Result<String, String> {
    let mut svg = String::new();
    draw_open_fail(report, &mut svg).map_err(|e| e.to_string())?;
    Ok(svg)
}

fn draw_open_fail(report: &Report, svg: &mut String) -> Drawn {
    let weeks = &report.trend;
    let n = weeks.len().max(1);
    let top = weeks
        .iter()
        .map(|w| w.by_severity.iter().sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let root = SVGBackend::with_string(svg, (WIDTH, 320)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Open FAIL by severity", ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        // Headroom above the tallest bar for the legend.
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0i64..(top + top / 2 + 1))?;
    let labels: Vec<String> = weeks.iter().map(|w| short_week(&w.week)).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 14))
        .light_line_style(TRANSPARENT)
        .bold_line_style(BLACK.mix(0.12))
        .x_labels(n)
        .x_label_formatter(&|x| label_at(&labels, *x))
        .x_desc(year_span(report))
        .y_desc("open FAIL findings")
        .draw()?;
    for (s, name) in SEVERITIES.iter().enumerate() {
        let colour = SEVERITY_COLOURS[s];
        let bars = weeks.iter().enumerate().map(|(i, w)| {
            // Stacked from the least severe up, so Critical sits on top.
            let below: i64 = w.by_severity[s + 1..].iter().sum();
            let x = i as f64;
            Rectangle::new(
                [(x - 0.35, below), (x + 0.35, below + w.by_severity[s])],
                colour.filled(),
            )
        });
        chart
            .draw_series(bars)?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    root.present()?;
    Ok(())
}

/// New (and regressed) against resolved per week, side by side.
pub fn new_vs_resolved(report: &Report) -> Result<String, String> {
    let mut svg = String::new();
    draw_new_vs_resolved(report, &mut svg).map_err(|e| e.to_string())?;
    Ok(svg)
}

fn draw_new_vs_resolved(report: &Report, svg: &mut String) -> Drawn {
    let weeks = &report.trend;
    let n = weeks.len().max(1);
    let top = weeks
        .iter()
        .map(|w| (w.new + w.regressed).max(w.resolved))
        .max()
        .unwrap_or(0)
        .max(1);
    let root = SVGBackend::with_string(svg, (WIDTH, 300)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("New and resolved per week", ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        // Headroom above the tallest bar for the legend.
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0i64..(top + top / 2 + 1))?;
    let labels: Vec<String> = weeks.iter().map(|w| short_week(&w.week)).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 14))
        .light_line_style(TRANSPARENT)
        .bold_line_style(BLACK.mix(0.12))
        .x_labels(n)
        .x_label_formatter(&|x| label_at(&labels, *x))
        .x_desc(year_span(report))
        .y_desc("findings")
        .draw()?;
    chart
        .draw_series(weeks.iter().enumerate().skip(1).map(|(i, w)| {
            let x = i as f64;
            Rectangle::new(
                [(x - 0.38, 0), (x - 0.02, w.new + w.regressed)],
                NEW.filled(),
            )
        }))?
        .label("new and regressed")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], NEW.filled()));
    chart
        .draw_series(weeks.iter().enumerate().skip(1).map(|(i, w)| {
            let x = i as f64;
            Rectangle::new([(x + 0.02, 0), (x + 0.38, w.resolved)], RESOLVED.filled())
        }))?
        .label("resolved")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], RESOLVED.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    root.present()?;
    Ok(())
}

/// Pass rate per account this week, lowest first (at most [`MAX_ACCOUNTS`]).
pub fn pass_rate_by_account(report: &Report) -> Result<String, String> {
    let mut svg = String::new();
    draw_pass_rates(report, &mut svg).map_err(|e| e.to_string())?;
    Ok(svg)
}

fn draw_pass_rates(report: &Report, svg: &mut String) -> Drawn {
    let mut rates: Vec<(&str, f64)> = report
        .accounts
        .iter()
        .filter_map(|a| a.pass_rate.map(|r| (a.account.as_str(), r)))
        .collect();
    rates.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(b.0)));
    rates.truncate(MAX_ACCOUNTS);
    let n = rates.len().max(1);
    let height = 80 + 24 * n as u32;
    let longest = rates
        .iter()
        .map(|(a, _)| a.chars().count())
        .max()
        .unwrap_or(4);
    let root = SVGBackend::with_string(svg, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Pass rate per account", ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size((longest as u32 * 9 + 16).min(300))
        .build_cartesian_2d(0f64..100f64, -0.5f64..(n as f64 - 0.5))?;
    // Lowest rate at the top.
    let names: Vec<String> = rates.iter().rev().map(|(a, _)| (*a).to_owned()).collect();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 14))
        .light_line_style(TRANSPARENT)
        .bold_line_style(BLACK.mix(0.12))
        .y_labels(n)
        .y_label_formatter(&|y| label_at(&names, *y))
        .x_label_formatter(&|x| format!("{x:.0}%"))
        .x_desc("PASS / (PASS + open FAIL)")
        .draw()?;
    chart.draw_series(rates.iter().rev().enumerate().map(|(i, (_, rate))| {
        let y = i as f64;
        let colour = if *rate >= 90.0 {
            RESOLVED
        } else if *rate >= 70.0 {
            SEVERITY_COLOURS[2]
        } else {
            SEVERITY_COLOURS[1]
        };
        Rectangle::new([(0.0, y - 0.35), (*rate, y + 0.35)], colour.filled())
    }))?;
    root.present()?;
    Ok(())
}

/// The label of the bar at integer position `x`, none between bars.
fn label_at(labels: &[String], x: f64) -> String {
    let i = x.round();
    if (x - i).abs() > 1e-6 || i < 0.0 {
        return String::new();
    }
    labels.get(i as usize).cloned().unwrap_or_default()
}
