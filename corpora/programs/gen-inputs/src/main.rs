//! Writes `<program>/default.input` for every program of the corpus.
//!
//! Everything comes from fixed word lists and a 64-bit LCG with fixed seeds,
//! so the files are byte-identical on every run and every machine. Usage:
//! `gen-inputs [CORPUS_DIR]` (default: the current directory).

use std::fmt::Write as _;
use std::path::Path;

/// A 64-bit LCG (Knuth's MMIX constants); `next` yields its high 31 bits.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }

    /// A value in `0..n`.
    fn below(&mut self, n: u32) -> u32 {
        ((u64::from(self.next()) * u64::from(n)) >> 31) as u32
    }

    /// True with probability `num / den`.
    fn chance(&mut self, num: u32, den: u32) -> bool {
        self.below(den) < num
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u32) as usize]
    }
}

const WORDS: &[&str] = &[
    "the",
    "the",
    "the",
    "of",
    "of",
    "and",
    "and",
    "to",
    "a",
    "a",
    "in",
    "that",
    "it",
    "was",
    "he",
    "she",
    "his",
    "her",
    "for",
    "with",
    "as",
    "on",
    "at",
    "by",
    "had",
    "not",
    "be",
    "but",
    "from",
    "this",
    "which",
    "have",
    "you",
    "all",
    "were",
    "one",
    "there",
    "they",
    "been",
    "said",
    "would",
    "upon",
    "what",
    "into",
    "could",
    "some",
    "very",
    "then",
    "little",
    "only",
    "time",
    "man",
    "little",
    "room",
    "house",
    "door",
    "window",
    "street",
    "evening",
    "morning",
    "night",
    "letter",
    "paper",
    "matter",
    "case",
    "friend",
    "lady",
    "gentleman",
    "face",
    "hand",
    "eyes",
    "voice",
    "word",
    "thing",
    "way",
    "moment",
    "day",
    "years",
    "London",
    "city",
    "country",
    "looking",
    "standing",
    "sitting",
    "waiting",
    "walking",
    "thinking",
    "speaking",
    "reading",
    "writing",
    "coming",
    "going",
    "nothing",
    "something",
    "everything",
    "morning",
    "during",
    "remarkable",
    "singular",
    "curious",
    "strange",
    "dark",
    "bright",
    "cold",
    "quiet",
    "sudden",
    "quickly",
    "slowly",
    "silently",
    "certainly",
    "perhaps",
    "indeed",
    "again",
    "already",
    "observed",
    "remarked",
    "answered",
    "replied",
    "asked",
    "cried",
    "whispered",
    "glanced",
    "examined",
    "discovered",
    "returned",
    "followed",
    "opened",
    "closed",
    "turned",
    "found",
    "small",
    "large",
    "old",
    "young",
    "long",
    "short",
    "heavy",
    "light",
    "clear",
    "obvious",
    "crime",
    "clue",
    "inspector",
    "police",
    "detective",
    "mystery",
    "evidence",
    "reason",
    "fire",
    "lamp",
    "table",
    "chair",
    "stairs",
    "garden",
    "carriage",
    "train",
    "station",
    "café",
    "naïve",
    "résumé",
    "façade",
    "Zürich",
    "élan",
    "déjà",
    "über",
];

const NAMES: &[&str] = &[
    "Sherlock Holmes",
    "Holmes",
    "Holmes",
    "Dr. Watson",
    "Watson",
    "Watson",
    "Irene Adler",
    "Inspector Lestrade",
    "Lestrade",
    "Professor Moriarty",
    "Mrs. Hudson",
    "Mycroft",
];

const USERS: &[&str] = &["john", "mary", "arthur", "violet", "james", "helen", "henry", "alice", "grace", "victor"];
const DOMAINS: &[&str] = &["example", "baker", "scotland", "yard", "mail", "post"];
const TLDS: &[&str] = &["com", "org", "net", "co.uk"];
const CITIES: &[&str] =
    &["London", "Edinburgh", "Paris", "Zürich", "Vienna", "Geneva", "Dublin", "Oxford", "Bath", "York"];

fn date(rng: &mut Lcg) -> String {
    format!("{}-{:02}-{:02}", 1880 + rng.below(25), 1 + rng.below(12), 1 + rng.below(28))
}

fn email(rng: &mut Lcg) -> String {
    format!("{}.{}@{}.{}", rng.pick(USERS), rng.pick(USERS), rng.pick(DOMAINS), rng.pick(TLDS))
}

/// One sentence of English-like prose, with the occasional name, date,
/// e-mail address or number.
fn sentence(rng: &mut Lcg) -> String {
    let n = 6 + rng.below(12);
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        let roll = rng.below(100);
        if roll < 6 {
            s.push_str(rng.pick(NAMES));
        } else if roll == 6 {
            let _ = write!(s, "on {}", date(rng));
        } else if roll == 7 && rng.chance(1, 3) {
            let _ = write!(s, "<{}>", email(rng));
        } else if roll == 8 {
            let _ = write!(s, "{}", rng.below(10_000));
        } else {
            let w = rng.pick(WORDS);
            if i == 0 {
                let mut cs = w.chars();
                let first = cs.next().unwrap();
                s.extend(first.to_uppercase());
                s.push_str(cs.as_str());
            } else {
                s.push_str(w);
            }
        }
        if i + 1 < n && rng.chance(1, 12) {
            s.push(',');
        }
    }
    s.push(match rng.below(10) {
        0 => '?',
        1 => '!',
        _ => '.',
    });
    s
}

/// A paragraph of 3..9 sentences, wrapped at 72 columns.
fn paragraph(rng: &mut Lcg) -> String {
    let n = 3 + rng.below(6);
    let text: Vec<String> = (0..n).map(|_| sentence(rng)).collect();
    wrap(&text.join(" "), 72)
}

fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut col = 0;
    for w in text.split(' ') {
        let len = w.chars().count();
        if col > 0 && col + 1 + len > width {
            out.push('\n');
            col = 0;
        } else if col > 0 {
            out.push(' ');
            col += 1;
        }
        out.push_str(w);
        col += len;
    }
    out.push('\n');
    out
}

/// English-like prose for the regex program (~200 KB).
fn regex_input() -> Vec<u8> {
    let mut rng = Lcg(0x5eed_0001);
    let mut out = String::new();
    let mut chapter = 1;
    while out.len() < 200_000 {
        let _ = write!(out, "CHAPTER {chapter}\n\n");
        chapter += 1;
        for _ in 0..(4 + rng.below(8)) {
            out.push_str(&paragraph(&mut rng));
            out.push('\n');
        }
    }
    out.into_bytes()
}

/// A JSON document of customer records for the json program (~200 KB).
fn json_input() -> Vec<u8> {
    let mut rng = Lcg(0x5eed_0002);
    let mut out = String::from("{\n  \"format\": \"wasmlab-records\",\n  \"version\": 3,\n");
    out.push_str("  \"records\": [\n");
    let mut id = 1000;
    let mut first = true;
    while out.len() < 195_000 {
        if !first {
            out.push_str(",\n");
        }
        first = false;
        id += 1 + rng.below(5);
        let user = rng.pick(USERS);
        let last = rng.pick(USERS);
        let tags: Vec<String> = (0..rng.below(5)).map(|_| format!("\"{}\"", rng.pick(WORDS))).collect();
        let history: Vec<String> = (0..rng.below(6))
            .map(|_| {
                format!(
                    "{{\"date\": \"{}\", \"amount\": {}.{:02}, \"kind\": \"{}\"}}",
                    date(&mut rng),
                    rng.below(5000),
                    rng.below(100),
                    ["purchase", "refund", "fee"][rng.below(3) as usize]
                )
            })
            .collect();
        let note = if rng.chance(1, 3) {
            format!("\"{}\"", sentence(&mut rng).replace('"', "\\\""))
        } else {
            "null".to_string()
        };
        let name = format!("{} {}", capitalize(user), capitalize(last));
        let mail = format!("{user}@{}.{}", rng.pick(DOMAINS), rng.pick(TLDS));
        let active = rng.chance(2, 3);
        let score = format!("{}.{:03}e{}", rng.below(10), rng.below(1000), rng.below(3));
        let street = format!("{} {} Street", 1 + rng.below(300), capitalize(rng.pick(WORDS)));
        let city = rng.pick(CITIES);
        let zip = format!("{:05}", rng.below(100_000));
        let tags = tags.join(", ");
        let history = history.join(", ");
        let _ = write!(
            out,
            "    {{\"id\": {id}, \"name\": \"{name}\", \"email\": \"{mail}\", \
             \"active\": {active}, \"score\": {score}, \"tags\": [{tags}], \
             \"address\": {{\"street\": \"{street}\", \"city\": \"{city}\", \"zip\": \"{zip}\"}}, \
             \"history\": [{history}], \"note\": {note}}}"
        );
    }
    out.push_str("\n  ]\n}\n");
    out.into_bytes()
}

fn capitalize(w: &str) -> String {
    let mut cs = w.chars();
    match cs.next() {
        Some(c) => c.to_uppercase().chain(cs).collect(),
        None => String::new(),
    }
}

/// A server log interleaved with prose for the deflate program (~200 KB).
fn deflate_input() -> Vec<u8> {
    let mut rng = Lcg(0x5eed_0003);
    let mut out = String::new();
    let paths = ["/api/v1/users", "/api/v1/orders", "/static/app.js", "/login", "/search"];
    let levels = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];
    let mut t: u32 = 0;
    while out.len() < 200_000 {
        if rng.chance(1, 10) {
            out.push_str(&paragraph(&mut rng));
            continue;
        }
        t += rng.below(3000);
        let _ = writeln!(
            out,
            "2024-03-{:02}T{:02}:{:02}:{:02}.{:03}Z {:5} http: method={} path={}/{} status={} \
             bytes={} ms={}.{} client={}.{}.{}.{}",
            1 + t / 86_400_000 % 28,
            t / 3_600_000 % 24,
            t / 60_000 % 60,
            t / 1000 % 60,
            t % 1000,
            rng.pick(&levels),
            ["GET", "GET", "GET", "POST", "PUT", "DELETE"][rng.below(6) as usize],
            rng.pick(&paths),
            rng.below(5000),
            [200, 200, 200, 201, 304, 404, 500][rng.below(7) as usize],
            rng.below(65_536),
            rng.below(400),
            rng.below(10),
            10 + rng.below(3),
            rng.below(256),
            rng.below(256),
            1 + rng.below(254),
        );
    }
    out.into_bytes()
}

/// A markdown document for the markdown program (~150 KB): headings,
/// paragraphs with inline markup, lists, code blocks, tables, quotes.
fn markdown_input() -> Vec<u8> {
    let mut rng = Lcg(0x5eed_0004);
    let mut out = String::from("# The Adventures of the Generated Corpus\n\n");
    let mut section = 1;
    while out.len() < 150_000 {
        let _ = write!(out, "## {section}. {}\n\n", capitalize(&sentence(&mut rng)));
        section += 1;
        for _ in 0..(3 + rng.below(6)) {
            match rng.below(9) {
                0 => {
                    let _ = write!(out, "### {}\n\n", capitalize(rng.pick(WORDS)));
                }
                1 => {
                    for i in 0..(2 + rng.below(5)) {
                        let marker = if rng.chance(1, 2) { format!("{}.", i + 1) } else { "-".to_string() };
                        let _ = writeln!(out, "{marker} {}", inline(&mut rng));
                        if rng.chance(1, 4) {
                            let _ = writeln!(out, "    - [{}] {}", ["x", " "][rng.below(2) as usize], inline(&mut rng));
                        }
                    }
                    out.push('\n');
                }
                2 => {
                    out.push_str("```rust\n");
                    for i in 0..(2 + rng.below(8)) {
                        let _ = writeln!(
                            out,
                            "let {}_{i} = {}({}, \"{}\") * {};",
                            rng.pick(&["x", "count", "total", "name"]),
                            rng.pick(&["compute", "lookup", "parse"]),
                            rng.below(100),
                            rng.pick(WORDS),
                            rng.below(1000)
                        );
                    }
                    out.push_str("```\n\n");
                }
                3 => {
                    out.push_str("| Name | City | Date | Amount |\n|:-----|:----:|-----:|-------:|\n");
                    for _ in 0..(2 + rng.below(6)) {
                        let _ = writeln!(
                            out,
                            "| {} | {} | {} | {}.{:02} |",
                            rng.pick(NAMES),
                            rng.pick(CITIES),
                            date(&mut rng),
                            rng.below(10_000),
                            rng.below(100)
                        );
                    }
                    out.push('\n');
                }
                4 => {
                    for line in paragraph(&mut rng).lines() {
                        let _ = writeln!(out, "> {line}");
                    }
                    out.push('\n');
                }
                _ => {
                    let mut p = String::new();
                    for _ in 0..(2 + rng.below(5)) {
                        p.push_str(&inline(&mut rng));
                        p.push(' ');
                    }
                    out.push_str(&wrap(p.trim_end(), 72));
                    out.push('\n');
                }
            }
        }
    }
    out.into_bytes()
}

/// A sentence with inline markup: emphasis, strong, code, links, escapes.
fn inline(rng: &mut Lcg) -> String {
    let s = sentence(rng);
    let words: Vec<&str> = s.split(' ').collect();
    let mut out = Vec::with_capacity(words.len());
    for w in words {
        out.push(match rng.below(30) {
            0 => format!("*{w}*"),
            1 => format!("**{w}**"),
            2 => format!("`{w}`"),
            3 => format!("[{w}](https://example.org/{})", rng.below(1000)),
            4 => format!("~~{w}~~"),
            5 => format!("{w} & <{}>", rng.pick(&["b", "i", "span"])),
            _ => w.to_string(),
        });
    }
    out.join(" ")
}

/// A CSV table of orders for the lz4 program (~200 KB).
fn lz4_input() -> Vec<u8> {
    let mut rng = Lcg(0x5eed_0006);
    let mut out = String::from("order,date,customer,email,city,item,quantity,unit_price,status,comment\n");
    let items = ["pipe", "lamp", "violin", "magnifier", "notebook", "umbrella", "revolver", "hat"];
    let statuses = ["shipped", "shipped", "shipped", "pending", "returned", "cancelled"];
    let mut order = 50_000;
    while out.len() < 200_000 {
        order += 1 + rng.below(3);
        let customer = format!("{} {}", capitalize(rng.pick(USERS)), capitalize(rng.pick(USERS)));
        let email = email(&mut rng);
        let comment =
            if rng.chance(1, 4) { format!("\"{}\"", sentence(&mut rng).replace('"', "\"\"")) } else { String::new() };
        let _ = writeln!(
            out,
            "{order},{},{customer},{email},{},{},{},{}.{:02},{},{comment}",
            date(&mut rng),
            rng.pick(CITIES),
            rng.pick(&items),
            1 + rng.below(12),
            rng.below(500),
            rng.below(100),
            rng.pick(&statuses),
        );
    }
    out.into_bytes()
}

/// 256 KiB of pseudo-random bytes for the sha256 program.
fn sha256_input() -> Vec<u8> {
    let mut rng = Lcg(0x5eed_0005);
    (0..256 * 1024).map(|_| (rng.next() >> 7) as u8).collect()
}

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".to_string());
    let inputs: [(&str, fn() -> Vec<u8>); 6] = [
        ("regex", regex_input),
        ("json", json_input),
        ("deflate", deflate_input),
        ("markdown", markdown_input),
        ("sha256", sha256_input),
        ("lz4", lz4_input),
    ];
    for (name, generate) in inputs {
        let path = Path::new(&dir).join(name).join("default.input");
        let bytes = generate();
        if let Err(e) = std::fs::write(&path, &bytes) {
            eprintln!("error: cannot write {}: {e}", path.display());
            std::process::exit(1);
        }
        println!("{:>8} bytes  {}", bytes.len(), path.display());
    }
}
