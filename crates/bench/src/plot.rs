//! The `--plot` SVG: throughput (top) and p99 latency (bottom) per second of the measured
//! phase, one line per operation, so a stall, a warm-up or a slow drift shows at a glance.

use std::path::Path;

use plotters::prelude::*;

use crate::error::BenchError;
use crate::report::Report;
use crate::workload::Operation;

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 720;

/// A colour per operation, the same in both panels; the total is black.
fn colour(operation: Option<Operation>) -> RGBColor {
    const PALETTE: [RGBColor; 8] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
    ];
    match operation {
        None => BLACK,
        Some(op) => {
            PALETTE[Operation::ALL.iter().position(|&o| o == op).unwrap_or(0) % PALETTE.len()]
        }
    }
}

/// Writes the SVG of `report`'s timeline to `path`.
pub fn write(report: &Report, path: &Path) -> Result<(), BenchError> {
    draw(report, path).map_err(|error| BenchError::Plot {
        path: path.to_owned(),
        reason: error.to_string(),
    })
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn draw(report: &Report, path: &Path) -> DrawResult {
    let root = SVGBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let title = format!(
        "workload {} · {} clients · {} · {}",
        report.config.workload.name(),
        report.config.concurrency,
        report.config.distribution().name(),
        report.config.endpoint
    );
    let root = root.titled(&title, ("sans-serif", 20))?;
    let (top, bottom) = root.split_vertically(HEIGHT / 2 - 20);
    let seconds = report
        .timeline
        .last()
        .map_or(1.0, |sample| sample.at_secs)
        .max(1.0);
    let operations: Vec<Operation> = report
        .operations
        .iter()
        .filter_map(|op| op.operation)
        .collect();

    let throughput_max = report
        .timeline
        .iter()
        .map(|sample| sample.total_ops_per_sec)
        .fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(&top)
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(70)
        .caption(
            "throughput (successful operations per second)",
            ("sans-serif", 16),
        )
        .build_cartesian_2d(0.0..seconds, 0.0..throughput_max * 1.1)?;
    chart
        .configure_mesh()
        .x_desc("seconds")
        .y_desc("ops/s")
        .y_label_formatter(&|value| format!("{value:.0}"))
        .draw()?;
    if operations.len() > 1 {
        let points = report
            .timeline
            .iter()
            .map(|s| (s.at_secs, s.total_ops_per_sec));
        chart
            .draw_series(LineSeries::new(points, BLACK.stroke_width(2)))?
            .label("total")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.stroke_width(2)));
    }
    for (index, &op) in operations.iter().enumerate() {
        let points = report
            .timeline
            .iter()
            .map(|sample| (sample.at_secs, sample.operations[index].1));
        let style = colour(Some(op)).stroke_width(2);
        chart
            .draw_series(LineSeries::new(points, style))?
            .label(op.name())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;

    let p99_max_ms = report
        .timeline
        .iter()
        .flat_map(|sample| {
            sample
                .operations
                .iter()
                .map(|&(_, _, p99, _)| p99 as f64 / 1000.0)
        })
        .fold(0.1, f64::max);
    let mut chart = ChartBuilder::on(&bottom)
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(70)
        .caption("p99 latency of each second", ("sans-serif", 16))
        .build_cartesian_2d(0.0..seconds, 0.0..p99_max_ms * 1.1)?;
    chart
        .configure_mesh()
        .x_desc("seconds")
        .y_desc("ms")
        .y_label_formatter(&|value| format!("{value:.1}"))
        .draw()?;
    for (index, &op) in operations.iter().enumerate() {
        let points = report
            .timeline
            .iter()
            .filter(|sample| sample.operations[index].2 > 0)
            .map(|sample| (sample.at_secs, sample.operations[index].2 as f64 / 1000.0));
        let style = colour(Some(op)).stroke_width(2);
        chart
            .draw_series(LineSeries::new(points, style))?
            .label(op.name())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
