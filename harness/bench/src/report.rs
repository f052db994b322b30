//! `wasmlab report`: charts (SVG and PNG) and an offline dashboard
//! (`index.html` with inline CSS and local images only) from one or more
//! results files; the last one is shown in detail, all of them make the
//! history. Sections and charts for figures an older results file lacks
//! (short calls, engine counters) are left out.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::BenchError;
use crate::charts::{self, BarChart, Chart, LineChart, RefLine, Series};
use crate::counters::TEMPLATE_BYTES;
use crate::results::{Counters, Results, Run, Status};
use crate::targets::{self, Verdict, geomean};

/// The charts of a report, in the order the dashboard shows them.
pub const CHARTS: [&str; 4] = ["startup", "exec_ratio", "latency", "memory"];
/// Drawn when there are two or more results files.
pub const TREND: &str = "trend";
/// Drawn when the results carry the short calls.
pub const SHORT_CALLS: &str = "short_calls";
/// Drawn when an engine reported its code cache.
pub const CODE_CACHE: &str = "code_cache";

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
    if let Some(chart) = short_calls_chart(latest) {
        draw(chart, SHORT_CALLS)?;
    }
    if let Some(chart) = code_cache_chart(latest) {
        draw(chart, CODE_CACHE)?;
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

/// Latency of the short calls per engine: p50 bar, p99 whisker.
fn short_calls_chart(r: &Results) -> Option<Chart> {
    let s = r.short_calls.as_ref()?;
    let ok: Vec<_> =
        s.runs.iter().filter(|x| x.status == Status::Ok).filter_map(|x| Some((x, x.latency.as_ref()?))).collect();
    if ok.is_empty() {
        return None;
    }
    let us = |ms: f64| ms * 1e3;
    let series = ok
        .iter()
        .enumerate()
        .map(|(i, (x, d))| Series {
            name: x.engine.clone(),
            color: charts::engine_color(&x.engine, i),
            values: vec![Some(us(d.p50))],
            whiskers: Some(vec![Some(us(d.p99))]),
        })
        .collect();
    Some(Chart::Bars(BarChart {
        title: format!("Short calls: {} calls from a fresh instance, bar = p50, whisker = p99", s.calls),
        y_desc: "microseconds".into(),
        // The engines are within a small factor of each other here: a
        // linear axis shows the difference a log one flattens.
        log: false,
        groups: vec![crate::short_calls::DESCRIPTION.into()],
        series,
        lines: vec![],
    }))
}

/// Bytes a code cache charges its budget with: the most it held, and the templates.
fn charged_bytes(c: &Counters) -> Option<u64> {
    Some(c.cache_bytes_max()?.saturating_add(c.gauge(TEMPLATE_BYTES).unwrap_or(0)))
}

/// Code cache plus templates per program, for the engines that report a
/// cache, against the configured budget.
fn code_cache_chart(r: &Results) -> Option<Chart> {
    let kib = |b: u64| b as f64 / 1024.0;
    let charged = |x: &Run| x.counters.as_ref().and_then(charged_bytes).map(kib);
    let series: Vec<Series> =
        per_engine(r, charged).into_iter().filter(|s| s.values.iter().any(Option::is_some)).collect();
    if series.is_empty() {
        return None;
    }
    let budget = r
        .runs
        .iter()
        .filter_map(|x| {
            let c = x.counters.as_ref()?;
            c.budget.as_ref().map(|b| b.worst.budget_bytes).or_else(|| c.gauge(crate::counters::CACHE_BUDGET_BYTES))
        })
        .max()
        .filter(|b| *b > 0);
    Some(Chart::Bars(BarChart {
        title: "Code cache: most bytes in use (cache + templates) over a program's samples".into(),
        y_desc: "KiB".into(),
        log: false,
        groups: groups(r),
        series,
        lines: budget
            .map(|b| RefLine {
                y: kib(b),
                label: format!("budget {:.0} KiB", kib(b)),
                color: plotters::style::RGBColor(200, 0, 0),
            })
            .into_iter()
            .collect(),
    }))
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
h3 { margin: 16px 0 4px 0; font-size: 15px; }
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
                (fireball_section(r))
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
    let latest = all.last().expect("checked by report");
    if short_calls_chart(latest).is_some() {
        figures.push((
            SHORT_CALLS,
            "Latency of one short call, every call from the first on a fresh instance (tier-up included), the engines taking turns call by call.",
        ));
    }
    if code_cache_chart(latest).is_some() {
        figures.push((
            CODE_CACHE,
            "The most bytes an engine's code cache and template library held at any sample of a program; the dashed line is the configured budget.",
        ));
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

fn fmt_us(ms: f64) -> String {
    fmt_ms(ms * 1e3)
}

/// The short calls and what the engines' compilers and code caches counted.
fn fireball_section(r: &Results) -> Markup {
    let engines: Vec<&str> = r
        .engine_names()
        .into_iter()
        .filter(|e| {
            let short = r.short_call(e).and_then(|x| x.counters.as_ref());
            r.runs
                .iter()
                .filter(|x| x.engine == *e)
                .filter_map(|x| x.counters.as_ref())
                .chain(short)
                .any(Counters::has_compiler_figures)
        })
        .collect();
    if r.short_calls.is_none() && engines.is_empty() {
        return html! {}; // an older results file
    }
    let interp_p99 = r
        .short_call("interp")
        .filter(|x| x.status == Status::Ok)
        .and_then(|x| x.latency.as_ref())
        .map(|d| d.p99)
        .filter(|p99| *p99 > 0.0);
    let tier_ups = |c: Option<&Counters>| c.and_then(|c| c.total("tier-ups")).map_or("-".into(), |n| n.to_string());
    html! {
        h2 { "Template JIT: short calls, compiler and code cache" }
        @if let Some(s) = &r.short_calls {
            p.meta {
                (s.function) ", called " (s.calls) " times per engine on a fresh instance, every call timed from the first on, the engines taking turns call by call. µs; the Fireball p99 target compares tjit-tiered with interp."
            }
            table {
                tr {
                    th.l { "engine" } th { "calls" } th { "p50" } th { "p90" } th { "p99" } th { "max" }
                    th { "p99 / interp" } th { "tier-ups" }
                }
                @for x in &s.runs {
                    tr {
                        td.l { (x.engine) }
                        @match (&x.latency, x.status) {
                            (Some(d), Status::Ok) => {
                                td { (d.samples) }
                                td { (fmt_us(d.p50)) }
                                td { (fmt_us(d.p90)) }
                                td { (fmt_us(d.p99)) }
                                td { (fmt_us(d.max)) }
                                td { (ratio_x(interp_p99.map(|i| d.p99 / i))) }
                            }
                            _ => td.bad colspan="6" title=(x.error.as_deref().unwrap_or("")) { (x.status.word()) },
                        }
                        td { (tier_ups(x.counters.as_ref())) }
                    }
                }
            }
        }
        @for e in &engines {
            h3 { (e) }
            p.meta {
                "Counted while each program was measured (every sample from the cold compile on). Compile time per function and per wasm byte compiled; mean queue wait per queued request and request-to-switch per tier-up; the most code-cache bytes at any sample; the budget (cache + templates) checked at every sample."
            }
            table {
                tr {
                    th.l { "program" } th { "compiles" } th { "µs / function" } th { "ns / wasm byte" }
                    th { "queue wait µs" } th { "request→switch µs" } th { "tier-ups" } th { "cache KiB" }
                    th { "evictions" } th { "fallbacks" } th.l { "budget" }
                }
                @for p in r.program_names() {
                    @if let Some(c) = ok(r, e, p).and_then(|x| x.counters.as_ref()) {
                        (counter_row(p, c))
                    }
                }
                @if let Some(c) = r.short_call(e).filter(|x| x.status == Status::Ok).and_then(|x| x.counters.as_ref()) {
                    (counter_row("short calls", c))
                }
            }
        }
    }
}

/// One row of an engine's compiler table.
fn counter_row(label: &str, c: &Counters) -> Markup {
    let count = |n: Option<u64>| n.map_or("-".to_string(), |n| n.to_string());
    let us = |ns: Option<f64>| fmt_opt(ns, |ns| fmt_ms(ns / 1e3));
    let fallbacks = c.fallbacks();
    let why: Vec<String> = fallbacks.iter().filter(|f| f.1 > 0).map(|(k, v)| format!("{k}: {v}")).collect();
    let budget = c.budget.as_ref().map(|b| {
        let w = &b.worst;
        let kib = |x: u64| format!("{:.1}", x as f64 / 1024.0);
        if w.budget_bytes == 0 {
            (format!("unbounded; most {} KiB after {} ({} samples)", kib(w.used()), w.after, b.samples), false)
        } else if b.over == 0 {
            (
                format!("within {} KiB at all {} samples; most {} KiB", kib(w.budget_bytes), b.samples, kib(w.used())),
                false,
            )
        } else {
            (
                format!(
                    "over {} KiB at {} of {} samples; worst {} KiB after {}",
                    kib(w.budget_bytes),
                    b.over,
                    b.samples,
                    kib(w.used()),
                    w.after
                ),
                true,
            )
        }
    });
    html! {
        tr {
            td.l { (label) }
            td { (count(c.total("compiles"))) }
            td { (us(c.compile_ns_per_function())) }
            td { (fmt_opt(c.compile_ns_per_wasm_byte(), |ns| format!("{ns:.1}"))) }
            td { (us(c.mean_queue_wait_ns())) }
            td { (us(c.mean_switch_ns())) }
            td { (count(c.total("tier-ups"))) }
            td { (fmt_opt(c.cache_bytes_max().map(|b| b as f64 / 1024.0), |v| format!("{v:.1}"))) }
            td { (count(c.evictions())) }
            td title=(why.join(", ")) {
                @if fallbacks.is_empty() { "-" } @else { (fallbacks.iter().map(|f| f.1).sum::<u64>()) }
            }
            @match budget {
                Some((text, over)) => td class={ "l" @if over { " bad" } } { (text) },
                None => td.l { "-" },
            }
        }
    }
}

fn problems_section(r: &Results) -> Markup {
    let problems: Vec<&Run> = r.runs.iter().filter(|x| x.error.is_some()).collect();
    let short: Vec<_> = r.short_calls.iter().flat_map(|s| &s.runs).filter(|x| x.error.is_some()).collect();
    if problems.is_empty() && short.is_empty() {
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
            @for x in short {
                tr {
                    td.l { (x.engine) }
                    td.l { "short calls" }
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
    if let Some(s) = &r.short_calls {
        let each: Vec<String> = s
            .runs
            .iter()
            .map(|x| match (&x.latency, x.status) {
                (Some(d), Status::Ok) => format!("{} {} / {}", x.engine, fmt_us(d.p50), fmt_us(d.p99)),
                _ => format!("{} {}", x.engine, x.status.word()),
            })
            .collect();
        writeln!(out, "short calls, p50 / p99 µs over {} calls: {}", s.calls, each.join(", ")).unwrap();
    }
    for t in targets::evaluate(r) {
        writeln!(out, "[{}] {}: {}", t.verdict.word(), t.target, t.evidence).unwrap();
    }
    for x in r.runs.iter().filter(|x| x.error.is_some()) {
        writeln!(out, "problem: {} on {}: {}", x.engine, x.program, x.error.as_deref().unwrap_or("")).unwrap();
    }
    for x in r.short_calls.iter().flat_map(|s| &s.runs).filter(|x| x.error.is_some()) {
        writeln!(out, "problem: {} on the short calls: {}", x.engine, x.error.as_deref().unwrap_or("")).unwrap();
    }
    out
}
