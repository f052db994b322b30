//! `wasmlab report`: charts (SVG and PNG) and an offline dashboard
//! (`index.html` with inline CSS and local images only) from one or more
//! results files; the last one is shown in detail, all of them make the
//! history.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use crate::BenchError;
use crate::charts::{self, BarChart, Chart, LineChart, RefLine, Series};
use crate::results::{Results, Run, Status};
use crate::targets::{self, Verdict, geomean};

/// The charts of a report, in the order the dashboard shows them.
pub const CHARTS: [&str; 4] = ["startup", "exec_ratio", "latency", "memory"];
/// Drawn when there are two or more results files.
pub const TREND: &str = "trend";

/// Writes the charts and `index.html` into `out`; returns the path of `index.html`.
pub fn report(all: &[Results], out: &Path) -> Result<PathBuf, BenchError> {
    let latest = all
        .last()
        .ok_or_else(|| BenchError::new("report needs at least one results file"))?;
    std::fs::create_dir_all(out)
        .map_err(|e| BenchError::new(format!("cannot create {}: {e}", out.display())))?;
    let draw =
        |chart: Chart, stem: &str| charts::render(&chart, out, stem).map_err(BenchError::new);
    draw(startup_chart(latest), "startup")?;
    draw(exec_ratio_chart(latest), "exec_ratio")?;
    draw(latency_chart(latest), "latency")?;
    draw(memory_chart(latest), "memory")?;
    if all.len() >= 2 {
        draw(trend_chart(all), TREND)?;
    }
    let index = out.join("index.html");
    std::fs::write(&index, html(all))
        .map_err(|e| BenchError::new(format!("cannot write {}: {e}", index.display())))?;
    Ok(index)
}

fn ok<'a>(r: &'a Results, engine: &str, program: &str) -> Option<&'a Run> {
    r.run(engine, program).filter(|x| x.status == Status::Ok)
}

/// One bar series per engine, one value per program.
fn per_engine(r: &Results, value: impl Fn(&Run) -> Option<f64>) -> Vec<Series> {
    r.engine_names()
        .iter()
        .enumerate()
        .map(|(i, e)| Series {
            name: e.to_string(),
            color: charts::engine_color(e, i),
            values: r
                .program_names()
                .iter()
                .map(|p| ok(r, e, p).and_then(&value))
                .collect(),
            whiskers: None,
        })
        .collect()
}

fn groups(r: &Results) -> Vec<String> {
    r.program_names().into_iter().map(String::from).collect()
}

fn startup_chart(r: &Results) -> Chart {
    Chart::Bars(BarChart {
        title: "Startup: compile + instantiate + first call (median, log scale)".into(),
        y_desc: "milliseconds".into(),
        log: true,
        groups: groups(r),
        series: per_engine(r, |x| x.startup.as_ref().map(|s| s.total_ms.p50)),
        lines: vec![
            RefLine {
                y: 10.0,
                label: "AOT target 10 ms".into(),
                color: plotters::style::RGBColor(0, 150, 0),
            },
            RefLine {
                y: 100.0,
                label: "hard limit 100 ms".into(),
                color: plotters::style::RGBColor(200, 0, 0),
            },
        ],
    })
}

fn exec_ratio_chart(r: &Results) -> Chart {
    Chart::Bars(BarChart {
        title: "Execution time relative to wasmtime (median run, log scale; lower is faster)"
            .into(),
        y_desc: "time / wasmtime time".into(),
        log: true,
        groups: groups(r),
        series: per_engine(r, |x| x.ratios.exec_vs_wasmtime),
        lines: vec![RefLine {
            y: 1.0,
            label: "wasmtime".into(),
            color: plotters::style::RGBColor(60, 60, 60),
        }],
    })
}

fn latency_chart(r: &Results) -> Chart {
    let mut series = per_engine(r, |x| x.exec.as_ref().map(|e| e.p50));
    for s in &mut series {
        s.whiskers = Some(
            r.program_names()
                .iter()
                .map(|p| {
                    ok(r, &s.name, p)
                        .and_then(|x| x.exec.as_ref())
                        .map(|e| e.p99)
                })
                .collect(),
        );
    }
    Chart::Bars(BarChart {
        title: "Latency of one run: bar = p50, whisker = p99 (log scale)".into(),
        y_desc: "milliseconds".into(),
        log: true,
        groups: groups(r),
        series,
        lines: vec![],
    })
}

fn memory_chart(r: &Results) -> Chart {
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let base: Vec<f64> = r
        .runs
        .iter()
        .filter_map(|x| x.memory.as_ref())
        .map(|m| mib(m.base_rss_bytes))
        .collect();
    let lines = if base.is_empty() {
        vec![]
    } else {
        let median = {
            let mut b = base.clone();
            b.sort_by(f64::total_cmp);
            b[b.len() / 2]
        };
        vec![RefLine {
            y: median,
            label: format!("harness before the engine runs ({median:.0} MiB)"),
            color: plotters::style::RGBColor(90, 90, 90),
        }]
    };
    Chart::Bars(BarChart {
        title: "Peak memory: RSS of a process running one engine on one program".into(),
        y_desc: "MiB".into(),
        log: false,
        groups: groups(r),
        series: per_engine(r, |x| x.memory.as_ref().map(|m| mib(m.peak_rss_bytes))),
        lines,
    })
}

/// Every engine seen in any of the files, in first-seen order.
fn all_engines(all: &[Results]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for r in all {
        for e in r.engine_names() {
            if !names.iter().any(|n| n == e) {
                names.push(e.to_string());
            }
        }
    }
    names
}

/// Geometric mean over programs of an engine's ratio against wasmtime.
fn geo_ratio(r: &Results, engine: &str) -> Option<f64> {
    let xs: Vec<f64> = r
        .program_names()
        .iter()
        .filter_map(|p| ok(r, engine, p).and_then(|x| x.ratios.exec_vs_wasmtime))
        .collect();
    geomean(&xs)
}

fn point_label(r: &Results) -> String {
    let date = r.created.get(..10).unwrap_or(&r.created);
    match &r.git_commit {
        Some(c) => format!("{date} {}", c.get(..7).unwrap_or(c)),
        None => date.to_string(),
    }
}

fn trend_chart(all: &[Results]) -> Chart {
    let series = all_engines(all)
        .iter()
        .enumerate()
        .map(|(i, e)| Series {
            name: e.clone(),
            color: charts::engine_color(e, i),
            values: all.iter().map(|r| geo_ratio(r, e)).collect(),
            whiskers: None,
        })
        .collect();
    Chart::Lines(LineChart {
        title:
            "History: execution time relative to wasmtime (geometric mean over programs, log scale)"
                .into(),
        y_desc: "time / wasmtime time".into(),
        log: true,
        points: all.iter().map(point_label).collect(),
        series,
        lines: vec![],
    })
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn fmt_ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else if v >= 0.1 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn fmt_opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "-".into())
}

const CSS: &str = "
body { font-family: 'DejaVu Sans', Arial, sans-serif; margin: 24px; color: #222; max-width: 1340px; }
h1 { margin-bottom: 4px; } h2 { margin-top: 32px; border-bottom: 1px solid #ccc; padding-bottom: 4px; }
.meta { color: #555; font-size: 14px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; } td.l, th.l { text-align: left; }
.met { background: #d9f2d9; color: #145214; font-weight: bold; }
.missed { background: #f8d7d7; color: #7a1010; font-weight: bold; }
.nodata { background: #eee; color: #666; font-weight: bold; }
.info { background: #e3ecf8; color: #1d3f73; font-weight: bold; }
.bad { background: #f8d7d7; }
figure { margin: 12px 0 28px 0; } figure img { width: 100%; max-width: 1300px; border: 1px solid #eee; }
figcaption { font-size: 13px; color: #555; }
";

fn html(all: &[Results]) -> String {
    let r = all.last().expect("checked by report");
    let mut h = String::new();
    let w = &mut h;
    writeln!(
        w,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    )
    .unwrap();
    writeln!(
        w,
        "<title>wasmlab benchmarks</title><style>{CSS}</style></head><body>"
    )
    .unwrap();
    writeln!(w, "<h1>wasmlab benchmarks</h1>").unwrap();
    writeln!(
        w,
        "<p class=\"meta\">{} run of {} &middot; commit {} &middot; {} ({} cores, {}, {})</p>",
        if r.quick { "Quick" } else { "Full" },
        esc(&r.created),
        esc(r.git_commit.as_deref().unwrap_or("unknown")),
        esc(&r.machine.cpu),
        r.machine.cores,
        esc(&r.machine.os),
        esc(&r.machine.arch)
    )
    .unwrap();
    let engines: Vec<String> = r
        .engines
        .iter()
        .map(|e| format!("{} {}", esc(&e.name), esc(&e.version)))
        .collect();
    writeln!(
        w,
        "<p class=\"meta\">Engines: {}</p>",
        engines.join(" &middot; ")
    )
    .unwrap();

    // Targets.
    writeln!(w, "<h2>Acceptance targets</h2><table><tr><th class=\"l\">seed</th><th class=\"l\">target</th><th class=\"l\">verdict</th><th class=\"l\">evidence</th></tr>").unwrap();
    for t in targets::evaluate(r) {
        let class = match t.verdict {
            Verdict::Met => "met",
            Verdict::Missed => "missed",
            Verdict::NoData => "nodata",
            Verdict::Info => "info",
        };
        writeln!(
            w,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l {class}\">{}</td><td class=\"l\">{}</td></tr>",
            esc(t.seed),
            esc(t.target),
            t.verdict.word(),
            esc(&t.evidence)
        )
        .unwrap();
    }
    writeln!(w, "</table>").unwrap();

    if let Some(spec) = &r.spec {
        writeln!(w, "<h2>Spec suite</h2><table><tr><th class=\"l\">engine</th><th>passed</th><th>failed</th><th>skipped</th></tr>").unwrap();
        for (e, c) in spec {
            let class = if c.failed > 0 { " class=\"bad\"" } else { "" };
            writeln!(
                w,
                "<tr><td class=\"l\">{}</td><td>{}</td><td{class}>{}</td><td>{}</td></tr>",
                esc(e),
                c.passed,
                c.failed,
                c.skipped
            )
            .unwrap();
        }
        writeln!(w, "</table>").unwrap();
    }
    if let Some(d) = &r.diff {
        let bad = |n: u64| if n > 0 { " class=\"bad\"" } else { "" };
        writeln!(
            w,
            "<h2>Differential campaign</h2><table><tr><th class=\"l\">engines</th><th>seconds</th><th>modules</th><th>calls</th>\
             <th>divergences</th><th>crashes</th><th>hangs</th><th>inconclusive</th></tr>\
             <tr><td class=\"l\">{}</td><td>{:.0}</td><td>{}</td><td>{}</td><td{}>{}</td><td{}>{}</td><td{}>{}</td><td>{}</td></tr></table>",
            esc(&d.engines.join(", ")),
            d.seconds,
            d.modules,
            d.calls,
            bad(d.divergences),
            d.divergences,
            bad(d.crashes),
            d.crashes,
            bad(d.hangs),
            d.hangs,
            d.inconclusive
        )
        .unwrap();
    }

    // Charts.
    writeln!(w, "<h2>Charts</h2>").unwrap();
    let captions = [
        (
            "startup",
            "Startup per engine and program. wasmtime-aot loads a precompiled artifact; the dashed lines are the AOT seed's target (10 ms) and hard limit (100 ms).",
        ),
        (
            "exec_ratio",
            "Median execution time of run(arg) divided by wasmtime's on the same program, from the same run.",
        ),
        (
            "latency",
            "Distribution of one run(arg) on a warm instance: p50 bar, p99 whisker.",
        ),
        (
            "memory",
            "Peak RSS (VmHWM) of a child process that compiles, instantiates and runs one program on one engine; the dashed line is the harness's own share.",
        ),
    ];
    let mut figures: Vec<(&str, &str)> = captions.to_vec();
    if all.len() >= 2 {
        figures.push((TREND, "History over the results files given, oldest first."));
    }
    for (stem, caption) in figures {
        writeln!(
            w,
            "<figure><img src=\"{stem}.svg\" alt=\"{stem} chart\"><figcaption>{} (<a href=\"{stem}.png\">PNG</a>)</figcaption></figure>",
            esc(caption)
        )
        .unwrap();
    }

    // Tables.
    let names = r.engine_names();
    let header = |w: &mut String, first: &str| {
        write!(w, "<table><tr><th class=\"l\">{first}</th>").unwrap();
        for e in &names {
            write!(w, "<th>{}</th>", esc(e)).unwrap();
        }
        writeln!(w, "</tr>").unwrap();
    };
    let table = |w: &mut String, title: &str, note: &str, cell: &dyn Fn(&Run) -> String| {
        writeln!(
            w,
            "<h2>{}</h2><p class=\"meta\">{}</p>",
            esc(title),
            esc(note)
        )
        .unwrap();
        header(w, "program");
        for p in r.program_names() {
            write!(w, "<tr><td class=\"l\">{}</td>", esc(p)).unwrap();
            for e in &names {
                match r.run(e, p) {
                    Some(run) if run.status == Status::Ok => {
                        write!(w, "<td>{}</td>", cell(run)).unwrap()
                    }
                    Some(run) => write!(
                        w,
                        "<td class=\"bad\" title=\"{}\">{}</td>",
                        esc(run.error.as_deref().unwrap_or("")),
                        run.status.word()
                    )
                    .unwrap(),
                    None => write!(w, "<td>-</td>").unwrap(),
                }
            }
            writeln!(w, "</tr>").unwrap();
        }
        writeln!(w, "</table>").unwrap();
    };
    table(
        w,
        "Execution",
        "Median ms of run(arg) (ratio to wasmtime; ratio to wasmi)",
        &|x| {
            format!(
                "{} ({}; {})",
                fmt_opt(x.exec.as_ref().map(|e| e.p50), fmt_ms),
                fmt_opt(x.ratios.exec_vs_wasmtime, |v| format!("{v:.2}x")),
                fmt_opt(x.ratios.exec_vs_wasmi, |v| format!("{v:.2}x"))
            )
        },
    );
    table(
        w,
        "Latency",
        "p50 / p90 / p99 ms of run(arg) (samples)",
        &|x| match &x.exec {
            Some(e) => format!(
                "{} / {} / {} ({})",
                fmt_ms(e.p50),
                fmt_ms(e.p90),
                fmt_ms(e.p99),
                e.samples
            ),
            None => "-".into(),
        },
    );
    table(
        w,
        "CPU time",
        "Least process CPU time of run(arg) in ms (ratio to wasmtime's least): what the gate compares",
        &|x| match &x.exec_cpu {
            Some(c) => format!(
                "{} ({})",
                fmt_ms(c.min),
                fmt_opt(x.ratios.exec_cpu_vs_wasmtime, |v| format!("{v:.2}x"))
            ),
            None => "-".into(),
        },
    );
    table(
        w,
        "Startup",
        "Median ms: compile / instantiate / first call = total; cold compile in brackets",
        &|x| match &x.startup {
            Some(s) => format!(
                "{} / {} / {} = {} [{}]",
                fmt_ms(s.compile_ms.p50),
                fmt_ms(s.instantiate_ms.p50),
                fmt_ms(s.first_call_ms.p50),
                fmt_ms(s.total_ms.p50),
                fmt_opt(x.cold_compile_ms, fmt_ms)
            ),
            None => "-".into(),
        },
    );
    table(
        w,
        "Memory",
        "Peak RSS MiB of a child process; generated code KiB where the engine reports it",
        &|x| {
            format!(
                "{} MiB; {}",
                fmt_opt(
                    x.memory
                        .as_ref()
                        .map(|m| m.peak_rss_bytes as f64 / 1048576.0),
                    |v| format!("{v:.1}")
                ),
                fmt_opt(x.code_bytes.map(|b| b as f64 / 1024.0), |v| format!(
                    "{v:.1} KiB code"
                ))
            )
        },
    );

    let problems: Vec<&Run> = r.runs.iter().filter(|x| x.error.is_some()).collect();
    if !problems.is_empty() {
        writeln!(w, "<h2>Problems</h2><table><tr><th class=\"l\">engine</th><th class=\"l\">program</th><th class=\"l\">status</th><th class=\"l\">message</th></tr>").unwrap();
        for x in problems {
            writeln!(
                w,
                "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
                esc(&x.engine),
                esc(&x.program),
                x.status.word(),
                esc(x.error.as_deref().unwrap_or(""))
            )
            .unwrap();
        }
        writeln!(w, "</table>").unwrap();
    }

    if all.len() >= 2 {
        let engines = all_engines(all);
        writeln!(w, "<h2>History</h2><p class=\"meta\">Geometric mean over programs of execution time / wasmtime.</p>").unwrap();
        write!(
            w,
            "<table><tr><th class=\"l\">run</th><th class=\"l\">mode</th>"
        )
        .unwrap();
        for e in &engines {
            write!(w, "<th>{}</th>", esc(e)).unwrap();
        }
        writeln!(w, "</tr>").unwrap();
        for x in all {
            write!(
                w,
                "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td>",
                esc(&point_label(x)),
                if x.quick { "quick" } else { "full" }
            )
            .unwrap();
            for e in &engines {
                write!(
                    w,
                    "<td>{}</td>",
                    fmt_opt(geo_ratio(x, e), |v| format!("{v:.2}x"))
                )
                .unwrap();
            }
            writeln!(w, "</tr>").unwrap();
        }
        writeln!(w, "</table>").unwrap();
    }

    let programs: Vec<String> = r
        .programs
        .iter()
        .map(|p| {
            format!(
                "{} ({}, arg {}, {} bytes)",
                esc(&p.name),
                esc(&p.kind),
                p.arg,
                p.wasm_bytes
            )
        })
        .collect();
    writeln!(
        w,
        "<h2>Corpus</h2><p class=\"meta\">{}</p>",
        programs.join(" &middot; ")
    )
    .unwrap();
    writeln!(w, "</body></html>").unwrap();
    h
}

/// A plain-text summary for the terminal: median ms and ratio to wasmtime
/// per program and engine, then the targets.
pub fn text_summary(r: &Results) -> String {
    let names = r.engine_names();
    let mut rows: Vec<Vec<String>> = vec![
        std::iter::once("program".to_string())
            .chain(names.iter().map(|e| e.to_string()))
            .collect(),
    ];
    for p in r.program_names() {
        let mut row = vec![p.to_string()];
        for e in &names {
            row.push(match r.run(e, p) {
                Some(x) if x.status == Status::Ok => format!(
                    "{} ms {}",
                    fmt_opt(x.exec.as_ref().map(|d| d.p50), fmt_ms),
                    fmt_opt(x.ratios.exec_vs_wasmtime, |v| format!("{v:.2}x"))
                ),
                Some(x) => x.status.word().to_string(),
                None => "-".into(),
            });
        }
        rows.push(row);
    }
    let cols = rows[0].len();
    let widths: Vec<usize> = (0..cols)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::from("median run time, and ratio to wasmtime:\n");
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:>w$}"))
            .collect();
        writeln!(out, "{}", cells.join("  ")).unwrap();
    }
    for t in targets::evaluate(r) {
        writeln!(out, "[{}] {}: {}", t.verdict.word(), t.target, t.evidence).unwrap();
    }
    for x in r.runs.iter().filter(|x| x.error.is_some()) {
        writeln!(
            out,
            "problem: {} on {}: {}",
            x.engine,
            x.program,
            x.error.as_deref().unwrap_or("")
        )
        .unwrap();
    }
    out
}
