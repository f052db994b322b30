//! The printed form of the IR: one instruction per line, registers as `rN`,
//! branch targets as `@N`.

use std::fmt::Write;

use crate::instr::Instr;
use crate::translate::Func;

const REG_FIELDS: &[&str] = &["dst", "a", "b", "src", "c", "index", "base", "addr", "val", "delta", "len", "init"];

/// One instruction, e.g. `I32AddImm r3 = r0, 1` is printed as
/// `I32AddImm dst=r3 a=r0 imm=1`.
pub fn print_instr(i: &Instr) -> String {
    let dbg = format!("{i:?}");
    let Some((name, rest)) = dbg.split_once(" { ") else {
        return dbg;
    };
    let fields = rest.trim_end_matches(" }");
    let mut out = name.to_string();
    for field in fields.split(", ") {
        let (k, v) = field.split_once(": ").unwrap_or((field, ""));
        let v = if REG_FIELDS.contains(&k) {
            format!("r{v}")
        } else if k == "target" {
            format!("@{v}")
        } else {
            v.to_string()
        };
        let _ = write!(out, " {k}={v}");
    }
    out
}

/// A function: a header line, then `pc: instruction` lines.
pub fn print_func(index: u32, f: &Func) -> String {
    let mut out = format!(
        "func {index}: params={} results={} locals={} frame={}\n",
        f.num_params, f.num_results, f.num_locals, f.frame_size
    );
    for (pc, i) in f.code.iter().enumerate() {
        let _ = writeln!(out, "  {pc:3}: {}", print_instr(i));
    }
    out
}
