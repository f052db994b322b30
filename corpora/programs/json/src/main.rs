//! json: parse, transform and re-serialise JSON with `serde_json`.
//!
//! Reads `default.input` (a document of customer records), then (measured):
//! 1. parses it into typed structs (serde derive), transforms every record
//!    (totals its history, normalises names and tags, drops refunds),
//!    aggregates per city, and serialises the result compactly and pretty;
//! 2. parses it into a `serde_json::Value`, walks and edits the tree, and
//!    serialises it back.
//! Prints sizes, counts and FNV-1a checksums of every serialised output.
//! `args[1]`: repetitions of the measured work (default 1).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Passes over the document per repetition (sizes the default run).
const PASSES: u32 = 8;

#[derive(Deserialize)]
struct Document {
    format: String,
    version: u32,
    records: Vec<Record>,
}

#[derive(Deserialize, Serialize)]
struct Record {
    id: u64,
    name: String,
    email: String,
    active: bool,
    score: f64,
    tags: Vec<String>,
    address: Address,
    history: Vec<Entry>,
    note: Option<String>,
}

#[derive(Deserialize, Serialize)]
struct Address {
    street: String,
    city: String,
    zip: String,
}

#[derive(Deserialize, Serialize)]
struct Entry {
    date: String,
    amount: f64,
    kind: Kind,
}

#[derive(Deserialize, Serialize, PartialEq, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Purchase,
    Refund,
    Fee,
}

#[derive(Serialize)]
struct Summary {
    id: u64,
    name: String,
    city: String,
    tags: Vec<String>,
    purchases: f64,
    refunds: f64,
    entries: Vec<Entry>,
    flagged: bool,
}

#[derive(Serialize, Default)]
struct CityStats {
    customers: u32,
    active: u32,
    purchases: f64,
    best_score: f64,
}

#[derive(Serialize)]
struct Report<'a> {
    format: &'a str,
    version: u32,
    cities: BTreeMap<String, CityStats>,
    customers: Vec<Summary>,
}

fn typed(text: &str, out: &mut String) {
    let doc: Document = serde_json::from_str(text).expect("default.input is a records document");
    let mut cities: BTreeMap<String, CityStats> = BTreeMap::new();
    let mut customers = Vec::with_capacity(doc.records.len());
    for r in doc.records {
        let stats = cities.entry(r.address.city.clone()).or_default();
        stats.customers += 1;
        stats.active += u32::from(r.active);
        if r.score > stats.best_score {
            stats.best_score = r.score;
        }
        let mut purchases = 0.0;
        let mut refunds = 0.0;
        for e in &r.history {
            match e.kind {
                Kind::Purchase | Kind::Fee => purchases += e.amount,
                Kind::Refund => refunds += e.amount,
            }
        }
        stats.purchases += purchases;
        let mut tags: Vec<String> = r.tags.iter().map(|t| t.to_uppercase()).collect();
        tags.sort();
        tags.dedup();
        customers.push(Summary {
            id: r.id,
            name: r.name.to_uppercase(),
            city: r.address.city,
            tags,
            purchases,
            refunds,
            entries: r.history.into_iter().filter(|e| e.kind != Kind::Refund).collect(),
            flagged: refunds > purchases || r.note.is_some_and(|n| n.contains('?')),
        });
    }
    let report = Report { format: &doc.format, version: doc.version + 1, cities, customers };
    let compact = serde_json::to_string(&report).expect("serialises");
    let pretty = serde_json::to_string_pretty(&report).expect("serialises");
    let flagged = report.customers.iter().filter(|c| c.flagged).count();
    let _ = writeln!(
        out,
        "typed: {} customers in {} cities, {flagged} flagged",
        report.customers.len(),
        report.cities.len()
    );
    let _ = writeln!(
        out,
        "typed compact: {} bytes, fnv1a64 {:016x}",
        compact.len(),
        bench_api::fnv1a64(compact.as_bytes())
    );
    let _ =
        writeln!(out, "typed pretty: {} bytes, fnv1a64 {:016x}", pretty.len(), bench_api::fnv1a64(pretty.as_bytes()));
}

/// Counts the nodes of a tree: (objects, arrays, strings, numbers, others).
fn census(v: &Value, n: &mut [u64; 5]) {
    match v {
        Value::Object(m) => {
            n[0] += 1;
            m.values().for_each(|v| census(v, n));
        }
        Value::Array(a) => {
            n[1] += 1;
            a.iter().for_each(|v| census(v, n));
        }
        Value::String(_) => n[2] += 1,
        Value::Number(_) => n[3] += 1,
        Value::Bool(_) | Value::Null => n[4] += 1,
    }
}

fn dynamic(text: &str, out: &mut String) {
    let mut doc: Value = serde_json::from_str(text).expect("default.input is JSON");
    let mut n = [0u64; 5];
    census(&doc, &mut n);
    let _ =
        writeln!(out, "value: {} objects, {} arrays, {} strings, {} numbers, {} others", n[0], n[1], n[2], n[3], n[4]);
    let records = doc["records"].as_array_mut().expect("records is an array");
    records.retain(|r| r["active"].as_bool() == Some(true));
    for r in records.iter_mut() {
        let obj = r.as_object_mut().expect("a record is an object");
        let count = obj["history"].as_array().map_or(0, Vec::len);
        obj.insert("entries".to_string(), Value::from(count));
        obj.remove("note");
        if let Some(Value::Number(s)) = obj.get("score") {
            let doubled = s.as_f64().unwrap() * 2.0;
            obj.insert("score".to_string(), Value::from(doubled));
        }
    }
    let kept = records.len();
    let compact = serde_json::to_string(&doc).expect("serialises");
    let _ = writeln!(
        out,
        "value edited: {kept} active records, {} bytes, fnv1a64 {:016x}",
        compact.len(),
        bench_api::fnv1a64(compact.as_bytes())
    );
}

fn run(text: &str) -> String {
    let mut out = String::new();
    typed(text, &mut out);
    dynamic(text, &mut out);
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
        report = std::hint::black_box(run(std::hint::black_box(text)));
    }
    bench_api::end();

    println!("input: {} bytes", text.len());
    print!("{report}");
}
