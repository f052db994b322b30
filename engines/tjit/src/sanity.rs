//! The sanity check every function's code passes before it is published,
//! and the checksum it is published with.
//!
//! - The code decodes cleanly: every byte outside the jump tables belongs
//!   to a valid instruction, and every template starts an instruction.
//! - Every branch the code contains lands on an instruction of the
//!   function (never in a jump table, never outside), and every *patched*
//!   branch and jump-table entry lands on a template boundary.
//! - The bytes' checksum (64-bit FNV-1a) is recorded; the published
//!   executable bytes must have the same one before anything runs them.

use iced_x86::{Decoder, DecoderOptions, OpKind};

use crate::expand::Expanded;

/// 64-bit FNV-1a.
pub fn checksum(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Checks `e`; the checksum of its bytes, or what is wrong.
pub fn check(e: &Expanded) -> Result<u64, String> {
    let code = &e.code;
    let len = code.len() as u32;
    let in_data = |at: u32| e.data.iter().any(|&(s, t)| at >= s && at < t);
    // Instruction starts, by decoding everything outside the tables.
    let mut starts: Vec<u32> = Vec::new();
    let mut branches: Vec<(u32, u64)> = Vec::new();
    let mut at = 0u32;
    while at < len {
        if let Some(&(_, end)) = e.data.iter().find(|&&(s, _)| s == at) {
            at = end;
            continue;
        }
        let stop = e.data.iter().map(|&(s, _)| s).filter(|&s| s > at).min().unwrap_or(len);
        let mut d = Decoder::with_ip(64, &code[at as usize..stop as usize], at as u64, DecoderOptions::NONE);
        while d.can_decode() {
            let i = d.decode();
            if i.is_invalid() {
                return Err(format!("invalid instruction at offset {}", i.ip()));
            }
            starts.push(i.ip() as u32);
            // Direct jumps, conditional jumps and calls.
            if i.op0_kind() == OpKind::NearBranch64 {
                branches.push((i.ip() as u32, i.near_branch_target()));
            }
        }
        at = stop;
    }
    let is_start = |x: u32| starts.binary_search(&x).is_ok();
    for &(p, t) in &e.pieces {
        if !is_start(p) {
            return Err(format!("template {t} at offset {p} does not start an instruction"));
        }
    }
    for &(from, target) in &branches {
        if target >= len as u64 || in_data(target as u32) || !is_start(target as u32) {
            return Err(format!("branch at offset {from} lands on {target:#x}, not an instruction of the function"));
        }
    }
    let is_boundary = |x: u32| e.pieces.binary_search_by_key(&x, |p| p.0).is_ok();
    for &(field, target) in &e.branches {
        if target >= len || !is_boundary(target) {
            return Err(format!("patched branch at offset {field} lands on {target}, not a template boundary"));
        }
    }
    Ok(checksum(code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::{self, id};

    fn piece(e: &mut Expanded, t: u16) {
        e.pieces.push((e.code.len() as u32, t));
        e.code.extend_from_slice(template::get(t).bytes);
    }

    fn jmp_to(e: &mut Expanded, target: u32) {
        let at = e.code.len();
        piece(e, id::JMP);
        let field = at + template::get(id::JMP).patches[0].offset as usize;
        template::patch(&mut e.code, field, template::Kind::Rel32, target as i128).unwrap();
        e.branches.push((field as u32, target));
    }

    #[test]
    fn sound_code_passes_with_its_checksum() {
        let mut e = Expanded::default();
        piece(&mut e, id::RETURN);
        jmp_to(&mut e, 0);
        assert_eq!(check(&e), Ok(checksum(&e.code)));
        assert_ne!(checksum(&e.code), checksum(&e.code[1..]));
    }

    #[test]
    fn a_branch_into_a_template_is_caught() {
        let mut e = Expanded::default();
        piece(&mut e, id::RETURN);
        jmp_to(&mut e, 1);
        let err = check(&e).unwrap_err();
        assert!(err.contains("lands on"), "{err}");
    }

    #[test]
    fn a_branch_outside_the_function_is_caught() {
        let mut e = Expanded::default();
        piece(&mut e, id::RETURN);
        let end = e.code.len() as u32 + 64;
        jmp_to(&mut e, end);
        assert!(check(&e).unwrap_err().contains("not an instruction"));
    }

    #[test]
    fn bytes_that_do_not_decode_are_caught() {
        let mut e = Expanded::default();
        piece(&mut e, id::RETURN);
        // 0x06 (push es) does not exist in 64-bit mode.
        e.pieces.push((e.code.len() as u32, id::RETURN));
        e.code.push(0x06);
        assert!(check(&e).unwrap_err().contains("invalid instruction"));
    }

    #[test]
    fn a_template_split_by_the_previous_one_is_caught() {
        let mut e = Expanded::default();
        piece(&mut e, id::LOAD_R_I64);
        // Claim a template starts in the middle of the 10-byte mov.
        e.pieces.insert(1, (3, id::RETURN));
        assert!(check(&e).unwrap_err().contains("does not start an instruction"));
    }
}
