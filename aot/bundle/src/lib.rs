//! The payload of a native executable (`wasmlab compile-native`): the
//! original wasm, the precompiled artifacts of each CPU variant with their
//! compatibility keys, and the settings given at compile time (preopens,
//! environment). It is appended to the runtime stub:
//!
//! ```text
//! [stub executable][blobs: wasm, artifacts...][index (JSON)][trailer, 56 bytes]
//! trailer = "WLABNAT1" | blobs length u64 LE | index length u64 LE | SHA-256 of the index
//! ```
//!
//! The index names every blob by offset, length and SHA-256. Reading checks
//! the trailer and the index before anything is believed, and every blob
//! when it is asked for, so a damaged artifact can be skipped (and the
//! program run from its wasm another way) while a damaged trailer or index
//! is a clear error. Nothing here panics on any input.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The trailer's first bytes; the last bytes of a bundled executable start with them.
pub const MAGIC: &[u8; 8] = b"WLABNAT1";
/// Bytes of the trailer.
pub const TRAILER_LEN: usize = 8 + 8 + 8 + 32;
/// The index format this crate writes and reads.
pub const FORMAT: u32 = 1;

/// What a bundle holds, as written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bundle {
    pub wasm: Vec<u8>,
    pub variants: Vec<Variant>,
    pub settings: Settings,
}

/// One precompiled artifact and the key it is valid under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    /// `x86-64`, `x86-64-v3`, ...
    pub name: String,
    /// The compatibility key (engine version, target, the settings that
    /// change code) the artifact was compiled under.
    pub key: String,
    pub artifact: Vec<u8>,
}

/// Run settings fixed at compile time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// `(host, guest)` preopens; a relative host path resolves against the
    /// directory the executable is started in.
    pub dirs: Vec<(String, String)>,
    pub env: Vec<(String, String)>,
}

/// Why a bundle cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BundleError {
    /// The file ends with no trailer: a stub with no program.
    NoPayload,
    /// The trailer or the index is damaged or inconsistent.
    Damaged(String),
    /// Written by another format version.
    Format(u32),
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::NoPayload => f.write_str("this executable carries no program (no wasmlab payload at its end)"),
            BundleError::Damaged(why) => write!(f, "the program payload is damaged: {why}"),
            BundleError::Format(v) => write!(f, "payload format {v} is not the format {FORMAT} this runtime reads"),
        }
    }
}

impl std::error::Error for BundleError {}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Index {
    format: u32,
    wasm: Blob,
    variants: Vec<IndexVariant>,
    settings: Settings,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct IndexVariant {
    name: String,
    key: String,
    blob: Blob,
}

/// Where a blob is in the blob area, and its checksum.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Blob {
    offset: u64,
    len: u64,
    #[serde(with = "hex32")]
    sha256: [u8; 32],
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

impl Bundle {
    /// The payload to append to a stub: blobs, index, trailer.
    pub fn encode(&self) -> Vec<u8> {
        let mut blobs = Vec::new();
        let mut put = |bytes: &[u8]| {
            let b = Blob { offset: blobs.len() as u64, len: bytes.len() as u64, sha256: sha256(bytes) };
            blobs.extend_from_slice(bytes);
            b
        };
        let wasm = put(&self.wasm);
        let variants = self
            .variants
            .iter()
            .map(|v| IndexVariant { name: v.name.clone(), key: v.key.clone(), blob: put(&v.artifact) })
            .collect();
        let index = Index { format: FORMAT, wasm, variants, settings: self.settings.clone() };
        let index = serde_json::to_vec(&index).expect("the index serialises");
        let mut out = blobs;
        let blobs_len = out.len() as u64;
        out.extend_from_slice(&index);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&blobs_len.to_le_bytes());
        out.extend_from_slice(&(index.len() as u64).to_le_bytes());
        out.extend_from_slice(&sha256(&index));
        out
    }
}

/// A bundle read from the end of an executable: the index checked, the
/// blobs checked when asked for.
#[derive(Debug)]
pub struct Reader<'a> {
    blobs: &'a [u8],
    index: Index,
    /// Bytes before the payload (the stub).
    pub stub_len: usize,
}

/// A variant as read: its artifact is checked by [`Reader::artifact`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariantInfo {
    pub name: String,
    pub key: String,
    pub len: u64,
}

impl<'a> Reader<'a> {
    /// Reads the payload at the end of `file` (a whole executable).
    pub fn new(file: &'a [u8]) -> Result<Reader<'a>, BundleError> {
        let damaged = |why: &str| BundleError::Damaged(why.to_string());
        if file.len() < TRAILER_LEN || !file[file.len() - TRAILER_LEN..].starts_with(MAGIC) {
            return Err(BundleError::NoPayload);
        }
        let t = &file[file.len() - TRAILER_LEN..];
        let u64_at = |at: usize| u64::from_le_bytes(t[at..at + 8].try_into().expect("8 bytes"));
        let (blobs_len, index_len) = (u64_at(8), u64_at(16));
        let room = (file.len() - TRAILER_LEN) as u64;
        let payload = blobs_len.checked_add(index_len).filter(|p| *p <= room).ok_or_else(|| {
            damaged(&format!("the trailer claims {blobs_len} + {index_len} bytes, the file has {room} before it"))
        })?;
        let start = (room - payload) as usize;
        let index_start = start + blobs_len as usize;
        let index_bytes = &file[index_start..index_start + index_len as usize];
        if sha256(index_bytes)[..] != t[24..56] {
            return Err(damaged("the index does not match its checksum"));
        }
        let index: Index =
            serde_json::from_slice(index_bytes).map_err(|e| damaged(&format!("unreadable index: {e}")))?;
        if index.format != FORMAT {
            return Err(BundleError::Format(index.format));
        }
        let blobs = &file[start..index_start];
        let fits = |b: &Blob| b.offset.checked_add(b.len).is_some_and(|end| end <= blobs.len() as u64);
        if !fits(&index.wasm) || !index.variants.iter().all(|v| fits(&v.blob)) {
            return Err(damaged("the index names bytes outside the payload"));
        }
        Ok(Reader { blobs, index, stub_len: start })
    }

    fn blob(&self, b: &Blob, what: &str) -> Result<&'a [u8], BundleError> {
        let bytes = &self.blobs[b.offset as usize..(b.offset + b.len) as usize];
        if sha256(bytes) != b.sha256 {
            return Err(BundleError::Damaged(format!("{what} does not match its checksum")));
        }
        Ok(bytes)
    }

    /// The original wasm, checked.
    pub fn wasm(&self) -> Result<&'a [u8], BundleError> {
        self.blob(&self.index.wasm, "the embedded wasm")
    }

    pub fn wasm_len(&self) -> u64 {
        self.index.wasm.len
    }

    pub fn variants(&self) -> Vec<VariantInfo> {
        self.index
            .variants
            .iter()
            .map(|v| VariantInfo { name: v.name.clone(), key: v.key.clone(), len: v.blob.len })
            .collect()
    }

    /// Variant `i`'s artifact, checked (a damaged one is an error naming it).
    pub fn artifact(&self, i: usize) -> Result<&'a [u8], BundleError> {
        let v = self.index.variants.get(i).ok_or_else(|| BundleError::Damaged(format!("no variant {i}")))?;
        self.blob(&v.blob, &format!("artifact {}", v.name))
    }

    pub fn settings(&self) -> &Settings {
        &self.index.settings
    }
}

/// Serde as lowercase hex for checksums (the index stays readable).
mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.iter().map(|b| format!("{b:02x}")).collect::<String>())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        let bad = || serde::de::Error::custom("a checksum is 64 hex digits");
        if s.len() != 64 || !s.is_ascii() {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Bundle {
        Bundle {
            wasm: b"\0asm\x01\0\0\0 a small module".to_vec(),
            variants: vec![
                Variant { name: "x86-64".into(), key: "wasmtime-48 x86_64 baseline".into(), artifact: vec![7; 300] },
                Variant { name: "x86-64-v3".into(), key: "wasmtime-48 x86_64 v3".into(), artifact: vec![9; 200] },
            ],
            settings: Settings { dirs: vec![(".".into(), "/".into())], env: vec![("K".into(), "v".into())] },
        }
    }

    fn executable(b: &Bundle) -> Vec<u8> {
        let mut exe = b"\x7fELF pretend stub".to_vec();
        exe.extend(b.encode());
        exe
    }

    #[test]
    fn a_bundle_reads_back_what_was_written() {
        let b = sample();
        let exe = executable(&b);
        let r = Reader::new(&exe).unwrap();
        assert_eq!(r.stub_len, 17);
        assert_eq!(r.wasm().unwrap(), &b.wasm[..]);
        assert_eq!(r.variants().iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["x86-64", "x86-64-v3"]);
        assert_eq!(r.artifact(1).unwrap(), &b.variants[1].artifact[..]);
        assert_eq!(r.settings(), &b.settings);
        assert!(r.artifact(2).is_err());
    }

    #[test]
    fn a_stub_without_a_payload_says_so() {
        assert_eq!(Reader::new(b"\x7fELF just a stub").unwrap_err(), BundleError::NoPayload);
        assert_eq!(Reader::new(b"").unwrap_err(), BundleError::NoPayload);
    }

    #[test]
    fn a_truncated_payload_is_damaged() {
        let exe = executable(&sample());
        // Keep the trailer, drop bytes before it: lengths no longer fit.
        let mut cut = exe[..10].to_vec();
        cut.extend_from_slice(&exe[exe.len() - TRAILER_LEN..]);
        assert!(matches!(Reader::new(&cut), Err(BundleError::Damaged(_))));
    }

    /// Every single flipped byte of the payload is caught: the trailer or
    /// index by the index checksum (an error), a blob by its own checksum
    /// (that blob is refused, the others still read).
    #[test]
    fn a_flipped_byte_anywhere_is_caught() {
        let b = sample();
        let exe = executable(&b);
        let clean = Reader::new(&exe).unwrap();
        let stub = clean.stub_len;
        for pos in stub..exe.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut bad = exe.clone();
                bad[pos] ^= flip;
                match Reader::new(&bad) {
                    Err(_) => {}
                    Ok(r) => {
                        let w = r.wasm();
                        let a: Vec<_> = (0..r.variants().len()).map(|i| r.artifact(i)).collect();
                        let damaged = w.is_err() as usize + a.iter().filter(|x| x.is_err()).count();
                        assert_eq!(damaged, 1, "byte {pos} ^ {flip:#x}: exactly the damaged blob is refused");
                        if let Ok(w) = w {
                            assert_eq!(w, &b.wasm[..]);
                        }
                    }
                }
            }
        }
        // The stub's own bytes are not the payload's business.
        let mut bad = exe.clone();
        bad[3] ^= 0xff;
        assert!(Reader::new(&bad).is_ok());
    }

    #[test]
    fn another_format_version_is_named() {
        let b = sample();
        let mut exe = executable(&b);
        let r = Reader::new(&exe).unwrap();
        let index_start = exe.len() - TRAILER_LEN - index_len(&exe);
        let text = String::from_utf8(exe[index_start..exe.len() - TRAILER_LEN].to_vec()).unwrap();
        let text = text.replace("\"format\":1", "\"format\":9");
        let mut rebuilt = exe[..index_start].to_vec();
        rebuilt.extend_from_slice(text.as_bytes());
        rebuilt.extend_from_slice(MAGIC);
        rebuilt.extend_from_slice(&((index_start - r.stub_len) as u64).to_le_bytes());
        rebuilt.extend_from_slice(&(text.len() as u64).to_le_bytes());
        rebuilt.extend_from_slice(&sha256(text.as_bytes()));
        exe = rebuilt;
        assert_eq!(Reader::new(&exe).unwrap_err(), BundleError::Format(9));
        assert!(BundleError::Format(9).to_string().contains("format 9"));
    }

    fn index_len(exe: &[u8]) -> usize {
        let t = &exe[exe.len() - TRAILER_LEN..];
        u64::from_le_bytes(t[16..24].try_into().unwrap()) as usize
    }
}
