//! markdown: render Markdown to HTML with `pulldown-cmark`.
//!
//! Reads `default.input` (a generated document with headings, lists, task
//! lists, code blocks, tables, quotes, emphasis, strikethrough and links),
//! then (measured) parses it with the GFM extensions on, counts its events
//! and renders it to HTML. Prints the event counts, the HTML's size and its
//! FNV-1a checksum. `args[1]`: repetitions of the measured work (default 1).

use pulldown_cmark::{Event, Options, Parser, Tag, html};
use std::fmt::Write as _;

/// Passes over the document per repetition (sizes the default run).
const PASSES: u32 = 10;

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_SMART_PUNCTUATION
}

fn render(text: &str) -> String {
    let (mut events, mut headings, mut items, mut code_blocks, mut tables, mut links) =
        (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    for event in Parser::new_ext(text, options()) {
        events += 1;
        if let Event::Start(tag) = event {
            match tag {
                Tag::Heading { .. } => headings += 1,
                Tag::Item => items += 1,
                Tag::CodeBlock(_) => code_blocks += 1,
                Tag::Table(_) => tables += 1,
                Tag::Link { .. } => links += 1,
                _ => {}
            }
        }
    }
    let mut html_out = String::with_capacity(text.len() * 3 / 2);
    html::push_html(&mut html_out, Parser::new_ext(text, options()));

    let mut out = String::new();
    let _ = writeln!(out, "events: {events}");
    let _ = writeln!(
        out,
        "headings {headings}, list items {items}, code blocks {code_blocks}, tables {tables}, links {links}"
    );
    let _ = writeln!(
        out,
        "html: {} bytes, {} lines, fnv1a64 {:016x}",
        html_out.len(),
        html_out.lines().count(),
        bench_api::fnv1a64(html_out.as_bytes())
    );
    out
}

fn main() {
    let reps = bench_api::repetitions();
    let input = bench_api::read_input();
    let text = match std::str::from_utf8(&input) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: default.input is not UTF-8: {e}");
            std::process::exit(1);
        }
    };

    bench_api::start();
    let mut report = String::new();
    for _ in 0..reps * PASSES {
        report = std::hint::black_box(render(std::hint::black_box(text)));
    }
    bench_api::end();

    println!("input: {} bytes", text.len());
    print!("{report}");
}
