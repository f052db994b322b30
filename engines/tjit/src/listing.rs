//! Disassembly of `tjit`'s code, for review as text (`wasmlab asm
//! --engine tjit` and the snapshot tests): the template each piece was
//! copied from (id, name, version), then its instructions as patched.
//! Offsets are from the function's start; the addresses of runtime
//! helpers (which change from run to run) are replaced by their names, and
//! the checksum (of bytes that embed those addresses) is not shown, so a
//! listing is the same in every process.

use std::fmt::Write;

use iced_x86::{Decoder, DecoderOptions, Formatter, Instruction, IntelFormatter, OpKind};

use crate::compile::Compiled;
use crate::template;

/// The listing of `c`, function `index` of the function index space.
/// `names` maps absolute addresses the code embeds to names.
pub fn function(c: &Compiled, index: u32, names: &[(usize, &str)]) -> String {
    let code = c.bytes();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "func {index}: {} bytes from {} wasm bytes, {} templates",
        code.len(),
        c.wasm_bytes,
        c.pieces.len()
    );
    let mut fmt = IntelFormatter::new();
    fmt.options_mut().set_first_operand_char_index(10);
    fmt.options_mut().set_hex_prefix("0x");
    fmt.options_mut().set_hex_suffix("");
    fmt.options_mut().set_branch_leading_zeros(false);
    fmt.options_mut().set_show_branch_size(false);
    let mut ins = Instruction::default();
    let mut text = String::new();
    let code_end = c.data.first().map_or(code.len(), |d| d.0 as usize);
    let mut decoder = Decoder::with_ip(64, &code[..code_end], 0, DecoderOptions::NONE);
    let mut next_piece = 0;
    while decoder.can_decode() {
        let off = decoder.ip() as u32;
        while next_piece < c.pieces.len() && c.pieces[next_piece].0 <= off {
            let t = template::get(c.pieces[next_piece].1);
            let _ = writeln!(out, "  ; [{}] {} v{}", t.id, t.name, t.version);
            next_piece += 1;
        }
        for o in c.osr.iter().filter(|o| o.1 == off) {
            let _ = writeln!(out, "  ; on-stack-replacement entry of loop {}", o.0);
        }
        decoder.decode_out(&mut ins);
        text.clear();
        fmt.format(&ins, &mut text);
        let imm = (0..ins.op_count()).find_map(|i| match ins.op_kind(i) {
            OpKind::Immediate64 => Some(ins.immediate64() as usize),
            _ => None,
        });
        if let Some((addr, name)) = imm.and_then(|v| names.iter().find(|(a, _)| *a == v)) {
            text = text.replace(&format!("0x{addr:X}"), name);
        }
        let _ = writeln!(out, "  {:6x}  {text}", off);
    }
    for &(s, e) in &c.data {
        let _ = writeln!(out, "  ; jump table at {s:#x}:");
        for at in (s..e).step_by(4) {
            let v = i32::from_le_bytes(code[at as usize..at as usize + 4].try_into().expect("4 bytes"));
            let _ = writeln!(out, "  {at:6x}  dd        {v} ; -> {:#x}", s as i64 + v as i64);
        }
    }
    out
}
