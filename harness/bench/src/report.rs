//! `wasmlab report`: charts (SVG and PNG) and an offline dashboard
//! (`index.html` with inline CSS and local images only) from one or more
//! results files; the last one is shown in detail, all of them make the
//! history.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use maud::{DOCTYPE, Markup, PreEscaped, html};

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
    let latest = all.last().ok_or_else(|| BenchError::new("report needs at least one results file"))?;
    std::fs::create_dir_all(out).map_err(|e| BenchError::new(format!("cannot create {}: {e}", out.display())))?;
    let draw = |chart: Chart, stem: &str| charts::render(&chart, out, stem).map_err(BenchError::new);
    draw(startup_chart(latest), "startup")?;
    draw(exec_ratio_chart(latest), "exec_ratio")?;
    draw(latency_chart(latest), "latency")?;
    draw(memory_chart(latest), "memory")?;
    if all.len() >= 2 {
        draw(trend_chart(all), TREND)?;
    }
    let index = out.join("index.html");
    std::fs::write(&index, html(all)).map_err(|e| BenchError::new(format!("cannot write {}: {e}", index.display())))?;
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
            values: r.program_names().iter().map(|p| ok(r, e, p).and_then(&value)).collect(),
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
            RefLine { y: 10.0, label: "AOT target 10 ms".into(), color: plotters::style::RGBColor(0, 150, 0) },
            RefLine { y: 100.0, label: "hard limit 100 ms".into(), color: plotters::style::RGBColor(200, 0, 0) },
        ],
    })
}

fn exec_ratio_chart(r: &Results) -> Chart {
    Chart::Bars(BarChart {
        title: "Execution time relative to wasmtime (median run, log scale; lower is faster)".into(),
        y_desc: "time / wasmtime time".into(),
        log: true,
        groups: groups(r),
        series: per_engine(r, |x| x.ratios.exec_vs_wasmtime),
        lines: vec![RefLine { y: 1.0, label: "wasmtime".into(), color: plotters::style::RGBColor(60, 60, 60) }],
    })
}

fn latency_chart(r: &Results) -> Chart {
    let mut series = per_engine(r, |x| x.exec.as_ref().map(|e| e.p50));
    for s in &mut series {
        s.whiskers = Some(
            r.program_names().iter().map(|p| ok(r, &s.name, p).and_then(|x| x.exec.as_ref()).map(|e| e.p99)).collect(),
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
    let base: Vec<f64> = r.runs.iter().filter_map(|x| x.memory.as_ref()).map(|m| mib(m.base_rss_bytes)).collect();
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
    let xs: Vec<f64> =
        r.program_names().iter().filter_map(|p| ok(r, engine, p).and_then(|x| x.ratios.exec_vs_wasmtime)).collect();
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
        title: "History: execution time relative to wasmtime (geometric mean over programs, log scale)".into(),
        y_desc: "time / wasmtime time".into(),
        log: true,
        points: all.iter().map(point_label).collect(),
        series,
        lines: vec![],
    })
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

/// The dashboard page: one template per section, in the order shown.
fn html(all: &[Results]) -> String {
    let r = all.last().expect("checked by report");
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "wasmlab benchmarks" }
                style { (PreEscaped(CSS)) }
            }
            body {
                (header(r))
                (targets_section(r))
                (spec_section(r))
                (campaign_section(r))
                (charts_section(all))
                (execution_table(r))
                (latency_table(r))
                (cold_latency_table(r))
                (cpu_table(r))
                (startup_table(r))
                (memory_table(r))
                (problems_section(r))
                (history_section(all))
                (corpus_section(r))
            }
        }
    };
    page.into_string()
}

/// Title, what ran where, and the engines' versions.
fn header(r: &Results) -> Markup {
    html! {
        h1 { "wasmlab benchmarks" }
        p.meta {
            (if r.quick { "Quick" } else { "Full" }) " run of " (r.created)
            " · commit " (r.git_commit.as_deref().unwrap_or("unknown"))
            " · " (r.machine.cpu) " (" (r.machine.cores) " cores, " (r.machine.os) ", " (r.machine.arch) ")"
        }
        p.meta {
            "Engines: "
            @for (i, e) in r.engines.iter().enumerate() {
                @if i > 0 { " · " }
                (e.name) " " (e.version)
            }
        }
    }
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Met => "met",
        Verdict::Missed => "missed",
        Verdict::NoData => "nodata",
        Verdict::Info => "info",
    }
}

fn targets_section(r: &Results) -> Markup {
    html! {
        h2 { "Acceptance targets" }
        table {
            tr { th.l { "seed" } th.l { "target" } th.l { "verdict" } th.l { "evidence" } }
            @for t in targets::evaluate(r) {
                tr {
                    td.l { (t.seed) }
                    td.l { (t.target) }
                    td class={ "l " (verdict_class(t.verdict)) } { (t.verdict.word()) }
                    td.l { (t.evidence) }
                }
            }
        }
    }
}

/// `class="bad"` on a cell whose count should be zero and is not.
fn bad_if(n: u64) -> Option<&'static str> {
    (n > 0).then_some("bad")
}

fn spec_section(r: &Results) -> Markup {
    let Some(spec) = &r.spec else {
        return html! {};
    };
    html! {
        h2 { "Spec suite" }
        table {
            tr { th.l { "engine" } th { "passed" } th { "failed" } th { "skipped" } }
            @for (engine, c) in spec {
                tr {
                    td.l { (engine) }
                    td { (c.passed) }
                    td class=[bad_if(c.failed)] { (c.failed) }
                    td { (c.skipped) }
                }
            }
        }
    }
}

fn campaign_section(r: &Results) -> Markup {
    let Some(d) = &r.diff else {
        return html! {};
    };
    html! {
        h2 { "Differential campaign" }
        table {
            tr {
                th.l { "engines" } th { "seed" } th { "seconds" } th { "modules" } th { "calls" }
                th { "divergences" } th { "crashes" } th { "hangs" } th { "inconclusive" }
                th { "known" } th { "trapped alike" }
            }
            tr {
                td.l { (d.engines.join(", ")) }
                td { (d.seed.map_or("-".into(), |s| s.to_string())) }
                td { (format!("{:.0}", d.seconds)) }
                td { (d.modules) }
                td { (d.calls) }
                td class=[bad_if(d.divergences)] { (d.divergences) }
                td class=[bad_if(d.crashes)] { (d.crashes) }
                td class=[bad_if(d.hangs)] { (d.hangs) }
                td { (d.inconclusive) }
                td { (d.known) }
                td { (d.trapped) }
            }
        }
    }
}

fn charts_section(all: &[Results]) -> Markup {
    let mut figures: Vec<(&str, &str)> = vec![
        (
            "startup",
            "Startup per engine and program. wasmtime-aot loads a precompiled artifact; the dashed lines are the AOT seed's target (10 ms) and hard limit (100 ms).",
        ),
        (
            "exec_ratio",
            "Median execution time of run(arg) divided by wasmtime's on the same program, from the same run.",
        ),
        ("latency", "Distribution of one run(arg) on a warm instance: p50 bar, p99 whisker."),
        (
            "memory",
            "Peak RSS (VmHWM) of a child process that compiles, instantiates and runs one program on one engine; the dashed line is the harness's own share.",
        ),
    ];
    if all.len() >= 2 {
        figures.push((TREND, "History over the results files given, oldest first."));
    }
    html! {
        h2 { "Charts" }
        @for (stem, caption) in figures {
            figure {
                img src={ (stem) ".svg" } alt={ (stem) " chart" };
                figcaption { (caption) " (" a href={ (stem) ".png" } { "PNG" } ")" }
            }
        }
    }
}

/// A program x engine table: `cell` for a run that went fine, the status
/// (error as tooltip) for one that did not.
fn run_table(r: &Results, title: &str, note: &str, cell: impl Fn(&Run) -> String) -> Markup {
    let engines = r.engine_names();
    html! {
        h2 { (title) }
        p.meta { (note) }
        table {
            tr {
                th.l { "program" }
                @for e in &engines { th { (e) } }
            }
            @for p in r.program_names() {
                tr {
                    td.l { (p) }
                    @for e in &engines {
                        @match r.run(e, p) {
                            Some(run) if run.status == Status::Ok => td { (cell(run)) },
                            Some(run) => td.bad title=(run.error.as_deref().unwrap_or("")) { (run.status.word()) },
                            None => td { "-" },
                        }
                    }
                }
            }
        }
    }
}

fn ratio_x(v: Option<f64>) -> String {
    fmt_opt(v, |v| format!("{v:.2}x"))
}

fn execution_table(r: &Results) -> Markup {
    run_table(r, "Execution", "Median ms of run(arg) (ratio to wasmtime; ratio to wasmi)", |x| {
        format!(
            "{} ({}; {})",
            fmt_opt(x.exec.as_ref().map(|e| e.p50), fmt_ms),
            ratio_x(x.ratios.exec_vs_wasmtime),
            ratio_x(x.ratios.exec_vs_wasmi)
        )
    })
}

fn latency_table(r: &Results) -> Markup {
    run_table(r, "Latency", "p50 / p90 / p99 ms of run(arg) on a warm instance (samples)", |x| match &x.exec {
        Some(e) => format!("{} / {} / {} ({})", fmt_ms(e.p50), fmt_ms(e.p90), fmt_ms(e.p99), e.samples),
        None => "-".into(),
    })
}

fn cold_latency_table(r: &Results) -> Markup {
    if r.runs.iter().all(|x| x.exec_cold.is_none()) {
        return html! {}; // an older results file
    }
    run_table(
        r,
        "Latency from cold",
        "p50 / p99 / max ms of every run(arg) from the first on a fresh instance (calls): lazy compilation and tier-up included; the Fireball p99 target is judged on this",
        |x| match &x.exec_cold {
            Some(c) => format!("{} / {} / {} ({})", fmt_ms(c.p50), fmt_ms(c.p99), fmt_ms(c.max), c.samples),
            None => "-".into(),
        },
    )
}

fn cpu_table(r: &Results) -> Markup {
    run_table(
        r,
        "CPU time",
        "Least process CPU time of run(arg) in ms (ratio to wasmtime's least): what the gate compares",
        |x| match &x.exec_cpu {
            Some(c) => format!("{} ({})", fmt_ms(c.min), ratio_x(x.ratios.exec_cpu_vs_wasmtime)),
            None => "-".into(),
        },
    )
}

fn startup_table(r: &Results) -> Markup {
    run_table(r, "Startup", "Median ms: compile / instantiate / first call = total; cold compile in brackets", |x| {
        match &x.startup {
            Some(s) => format!(
                "{} / {} / {} = {} [{}]",
                fmt_ms(s.compile_ms.p50),
                fmt_ms(s.instantiate_ms.p50),
                fmt_ms(s.first_call_ms.p50),
                fmt_ms(s.total_ms.p50),
                fmt_opt(x.cold_compile_ms, fmt_ms)
            ),
            None => "-".into(),
        }
    })
}

fn memory_table(r: &Results) -> Markup {
    run_table(r, "Memory", "Peak RSS MiB of a child process; generated code KiB where the engine reports it", |x| {
        format!(
            "{} MiB; {}",
            fmt_opt(x.memory.as_ref().map(|m| m.peak_rss_bytes as f64 / 1048576.0), |v| format!("{v:.1}")),
            fmt_opt(x.code_bytes.map(|b| b as f64 / 1024.0), |v| format!("{v:.1} KiB code"))
        )
    })
}

fn problems_section(r: &Results) -> Markup {
    let problems: Vec<&Run> = r.runs.iter().filter(|x| x.error.is_some()).collect();
    if problems.is_empty() {
        return html! {};
    }
    html! {
        h2 { "Problems" }
        table {
            tr { th.l { "engine" } th.l { "program" } th.l { "status" } th.l { "message" } }
            @for x in problems {
                tr {
                    td.l { (x.engine) }
                    td.l { (x.program) }
                    td.l { (x.status.word()) }
                    td.l { (x.error.as_deref().unwrap_or("")) }
                }
            }
        }
    }
}

fn history_section(all: &[Results]) -> Markup {
    if all.len() < 2 {
        return html! {};
    }
    let engines = all_engines(all);
    html! {
        h2 { "History" }
        p.meta { "Geometric mean over programs of execution time / wasmtime." }
        table {
            tr {
                th.l { "run" } th.l { "mode" }
                @for e in &engines { th { (e) } }
            }
            @for x in all {
                tr {
                    td.l { (point_label(x)) }
                    td.l { (if x.quick { "quick" } else { "full" }) }
                    @for e in &engines { td { (ratio_x(geo_ratio(x, e))) } }
                }
            }
        }
    }
}

fn corpus_section(r: &Results) -> Markup {
    html! {
        h2 { "Corpus" }
        p.meta {
            @for (i, p) in r.programs.iter().enumerate() {
                @if i > 0 { " · " }
                (p.name) " (" (p.kind) ", arg " (p.arg) ", " (p.wasm_bytes) " bytes)"
            }
        }
    }
}

/// A plain-text summary for the terminal: median ms and ratio to wasmtime
/// per program and engine, then the targets.
pub fn text_summary(r: &Results) -> String {
    let names = r.engine_names();
    let mut rows: Vec<Vec<String>> =
        vec![std::iter::once("program".to_string()).chain(names.iter().map(|e| e.to_string())).collect()];
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
    let widths: Vec<usize> = (0..cols).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::from("median run time, and ratio to wasmtime:\n");
    for row in &rows {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:>w$}")).collect();
        writeln!(out, "{}", cells.join("  ")).unwrap();
    }
    for t in targets::evaluate(r) {
        writeln!(out, "[{}] {}: {}", t.verdict.word(), t.target, t.evidence).unwrap();
    }
    for x in r.runs.iter().filter(|x| x.error.is_some()) {
        writeln!(out, "problem: {} on {}: {}", x.engine, x.program, x.error.as_deref().unwrap_or("")).unwrap();
    }
    out
}
