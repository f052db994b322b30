//! Disassembly of generated code, for review as text (`wasmlab asm` and
//! the snapshot tests): each IR instruction's printed form, then the
//! machine code it became. Offsets are from the start of the code region;
//! the addresses of runtime helpers (which change from run to run) are
//! replaced by their names.

use std::fmt::Write;

use iced_x86::{Decoder, DecoderOptions, Formatter, Instruction, IntelFormatter};
use wasmlab_regir::Func;

use crate::link::{Compiled, Placed};

/// The listing of function `p` (placed in `c`), whose IR is `func`, named
/// `index` in the function index space. `names` maps absolute addresses
/// the code embeds (helpers) to names.
pub fn function(c: &Compiled, p: &Placed, func: &Func, index: u32, names: &[(usize, &str)]) -> String {
    let code = &c.code.code()[p.offset..p.offset + p.data_start as usize];
    let mut out = String::new();
    let _ = writeln!(out, "func {index}: {} bytes at {:#x}, frame of {} registers", p.len, p.offset, func.frame_size);
    let mut fmt = IntelFormatter::new();
    fmt.options_mut().set_first_operand_char_index(10);
    fmt.options_mut().set_hex_prefix("0x");
    fmt.options_mut().set_hex_suffix("");
    fmt.options_mut().set_branch_leading_zeros(false);
    fmt.options_mut().set_show_branch_size(false);
    let base = p.offset as u64;
    let mut decoder = Decoder::with_ip(64, code, base, DecoderOptions::NONE);
    let mut ins = Instruction::default();
    let mut text = String::new();
    while decoder.can_decode() {
        let off = (decoder.ip() - base) as u32;
        for &(_, pc) in p.blocks.iter().filter(|b| b.0 == off) {
            let _ = writeln!(out, "  ; @{pc}: {}", wasmlab_regir::print_instr(&func.code[pc as usize]));
        }
        for &(pc, _) in p.osr.iter().filter(|o| o.1 == off) {
            let _ = writeln!(out, "  ; on-stack-replacement entry at @{pc}");
        }
        decoder.decode_out(&mut ins);
        text.clear();
        fmt.format(&ins, &mut text);
        let imm = (0..ins.op_count()).find_map(|i| match ins.op_kind(i) {
            iced_x86::OpKind::Immediate64 => Some(ins.immediate64() as usize),
            _ => None,
        });
        if let Some((addr, name)) = imm.and_then(|v| names.iter().find(|(a, _)| *a == v)) {
            text = text.replace(&format!("0x{addr:X}"), name);
        }
        let _ = writeln!(out, "  {:6x}  {text}", decoder.ip() - ins.len() as u64);
    }
    if (p.data_start as usize) < p.len {
        let _ = writeln!(out, "  ; jump tables: {} bytes", p.len - p.data_start as usize);
    }
    out
}
