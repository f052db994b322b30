//! The template library (built by `build.rs`, never assembled at run time)
//! and the one operation on it: patching a copied template's holes.
//!
//! A template is prebuilt machine code with metadata, as in the Fireball
//! seed's appendix: an id, a name, a version, its bytes (so its size) and
//! its patch points `{offset, kind, hole}`. A hole is one value the
//! compiler supplies (a slot displacement, an immediate, an address, a
//! branch target); a hole may have several patch points (the same frame
//! offset used on two paths).

/// How a patch point is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An 8-bit immediate (shift counts).
    Imm8,
    /// A 32-bit immediate: any value that fits 32 bits, signed or not (the
    /// instruction decides how it is extended).
    Imm32,
    /// A 32-bit displacement of a memory operand (signed).
    Disp32,
    /// A 64-bit immediate: constants and addresses.
    Imm64,
    /// A rel32 branch target or rip-relative address, relative to the end
    /// of the field (the field always ends its instruction).
    Rel32,
}

impl Kind {
    pub fn width(self) -> usize {
        match self {
            Kind::Imm8 => 1,
            Kind::Imm32 | Kind::Disp32 | Kind::Rel32 => 4,
            Kind::Imm64 => 8,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Imm8 => "imm8",
            Kind::Imm32 => "imm32",
            Kind::Disp32 => "disp32",
            Kind::Imm64 => "imm64",
            Kind::Rel32 => "rel32",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Patch {
    pub offset: u32,
    pub kind: Kind,
    pub hole: u8,
}

#[derive(Debug)]
pub struct Template {
    pub id: u16,
    pub name: &'static str,
    pub version: u32,
    pub bytes: &'static [u8],
    pub patches: &'static [Patch],
    pub holes: u8,
}

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// Bytes of the whole library (what it costs in memory, counted in the
/// code-cache budget).
pub fn library_bytes() -> usize {
    TEMPLATES.iter().map(|t| t.bytes.len() + std::mem::size_of::<Template>()).sum()
}

pub fn get(id: u16) -> &'static Template {
    &TEMPLATES[id as usize]
}

pub fn by_name(name: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.name == name)
}

/// Why a patch was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatchError {
    /// The point does not lie inside the code.
    OutOfRange { at: usize, width: usize, len: usize },
    /// The value does not fit the field.
    TooWide { kind: Kind, value: i128 },
}

impl std::fmt::Display for PatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PatchError::OutOfRange { at, width, len } => {
                write!(f, "patch of {width} bytes at offset {at} is outside the code ({len} bytes)")
            }
            PatchError::TooWide { kind, value } => write!(f, "{value:#x} does not fit a {} field", kind.name()),
        }
    }
}

/// Writes `value` into `code[at..]` as a field of `kind`. For [`Kind::Rel32`]
/// `value` is the target's offset in `code`, and the field holds it
/// relative to the field's end.
pub fn patch(code: &mut [u8], at: usize, kind: Kind, value: i128) -> Result<(), PatchError> {
    let width = kind.width();
    if at.checked_add(width).is_none_or(|end| end > code.len()) {
        return Err(PatchError::OutOfRange { at, width, len: code.len() });
    }
    let v = match kind {
        Kind::Rel32 => value - (at + 4) as i128,
        _ => value,
    };
    let fits = match kind {
        Kind::Imm8 => (0..=0xff).contains(&v),
        Kind::Imm32 => (i32::MIN as i128..=u32::MAX as i128).contains(&v),
        Kind::Disp32 | Kind::Rel32 => (i32::MIN as i128..=i32::MAX as i128).contains(&v),
        Kind::Imm64 => (i64::MIN as i128..=u64::MAX as i128).contains(&v),
    };
    if !fits {
        return Err(PatchError::TooWide { kind, value });
    }
    let bytes = (v as u128).to_le_bytes();
    code[at..at + width].copy_from_slice(&bytes[..width]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use iced_x86::{Decoder, DecoderOptions, Instruction, OpKind};

    /// Every template decodes into whole instructions, and every patch
    /// point lies inside one instruction, on an operand of the declared
    /// width: a displacement, an immediate, or a near branch's rel32.
    #[test]
    fn every_patch_point_is_one_operand_of_its_width() {
        for t in TEMPLATES.iter() {
            let mut d = Decoder::with_ip(64, t.bytes, 0, DecoderOptions::NONE);
            let mut instrs: Vec<(Instruction, iced_x86::ConstantOffsets)> = Vec::new();
            while d.can_decode() {
                let i = d.decode();
                assert!(!i.is_invalid(), "template {} does not decode at {}", t.name, i.ip());
                instrs.push((i, d.get_constant_offsets(&i)));
            }
            assert_eq!(instrs.iter().map(|i| i.0.len()).sum::<usize>(), t.bytes.len(), "{}", t.name);
            for p in t.patches {
                let at = p.offset as usize;
                let (i, offs) = instrs
                    .iter()
                    .find(|i| (i.0.ip() as usize) <= at && at < i.0.next_ip() as usize)
                    .unwrap_or_else(|| panic!("template {}: patch at {at} outside every instruction", t.name));
                let end = at + p.kind.width();
                assert!(end <= i.next_ip() as usize, "template {}: patch at {at} crosses an instruction", t.name);
                let start = i.ip() as usize;
                let ok = match p.kind {
                    Kind::Disp32 => {
                        offs.has_displacement()
                            && offs.displacement_size() == 4
                            && start + offs.displacement_offset() == at
                    }
                    Kind::Imm8 | Kind::Imm32 | Kind::Imm64 => {
                        offs.has_immediate()
                            && offs.immediate_size() == p.kind.width()
                            && start + offs.immediate_offset() == at
                    }
                    Kind::Rel32 => {
                        let branch = i.op0_kind() == OpKind::NearBranch64 && end == i.next_ip() as usize;
                        let riprel = i.is_ip_rel_memory_operand()
                            && offs.displacement_size() == 4
                            && start + offs.displacement_offset() == at;
                        branch || riprel
                    }
                };
                assert!(ok, "template {}: patch {:?} at {at} is not an operand of that kind in {i}", t.name, p.kind);
            }
            for h in 0..t.holes {
                assert!(t.patches.iter().any(|p| p.hole == h), "template {}: hole {h} has no patch point", t.name);
            }
        }
    }

    #[test]
    fn ids_are_positions_and_names_are_unique() {
        for (k, t) in TEMPLATES.iter().enumerate() {
            assert_eq!(t.id as usize, k);
            assert_eq!(by_name(t.name).map(|x| x.id), Some(t.id));
            assert!(t.version >= 1);
        }
        assert_eq!(get(id::I32_ADD_RS).name, "i32.add.rs");
    }

    #[test]
    fn the_library_is_small() {
        // Counted in the code-cache budget: it must leave most of a small
        // budget (the seed's 16 KiB) to code.
        let n = library_bytes();
        assert!(n > 0 && n < 16 * 1024, "{n} bytes");
    }

    #[test]
    fn rel32_at_its_reach() {
        let mut code = vec![0u8; 16];
        // Target = field end + i32::MAX: the farthest forward.
        patch(&mut code, 0, Kind::Rel32, 4 + i32::MAX as i128).unwrap();
        assert_eq!(&code[..4], &i32::MAX.to_le_bytes());
        patch(&mut code, 0, Kind::Rel32, 4 + i32::MIN as i128).unwrap();
        assert_eq!(&code[..4], &i32::MIN.to_le_bytes());
        assert!(matches!(patch(&mut code, 0, Kind::Rel32, 5 + i32::MAX as i128), Err(PatchError::TooWide { .. })));
        assert!(matches!(patch(&mut code, 0, Kind::Rel32, 3 + i32::MIN as i128), Err(PatchError::TooWide { .. })));
        // Backwards to the start of the code from the end of a field at 12.
        patch(&mut code, 12, Kind::Rel32, 0).unwrap();
        assert_eq!(&code[12..16], &(-16i32).to_le_bytes());
    }

    #[test]
    fn immediates_at_their_extremes() {
        let mut code = vec![0u8; 8];
        for (k, lo, hi) in [
            (Kind::Imm8, 0i128, 0xff_i128),
            (Kind::Imm32, i32::MIN as i128, u32::MAX as i128),
            (Kind::Disp32, i32::MIN as i128, i32::MAX as i128),
            (Kind::Imm64, i64::MIN as i128, u64::MAX as i128),
        ] {
            patch(&mut code, 0, k, lo).unwrap();
            patch(&mut code, 0, k, hi).unwrap();
            let w = k.width();
            assert_eq!(&code[..w], &(hi as u128).to_le_bytes()[..w], "{k:?}");
            assert!(matches!(patch(&mut code, 0, k, hi + 1), Err(PatchError::TooWide { .. })), "{k:?}");
            assert!(matches!(patch(&mut code, 0, k, lo - 1), Err(PatchError::TooWide { .. })), "{k:?}");
        }
    }

    #[test]
    fn a_patch_outside_the_code_is_rejected() {
        let mut code = vec![0u8; 8];
        assert_eq!(patch(&mut code, 5, Kind::Imm32, 1), Err(PatchError::OutOfRange { at: 5, width: 4, len: 8 }));
        assert_eq!(patch(&mut code, 0, Kind::Imm64, 1).map(|_| code[0]), Ok(1));
        assert!(patch(&mut code, 1, Kind::Imm64, 1).is_err());
        assert!(patch(&mut code, usize::MAX, Kind::Imm8, 1).is_err());
        assert!(patch(&mut code, 8, Kind::Imm8, 1).is_err());
    }
}
