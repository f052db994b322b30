//! WASI preview 1 called directly, over a memory of our own: arguments,
//! environment, clocks, random, errors for bad pointers and descriptors,
//! and the sandbox around preopened directories.

use std::path::Path;
use std::sync::Arc;

use wasmlab_contract::{Caller, Import, Imports, Trap, Val};
use wasmlab_wasi::{Preopen, Wasi, WasiConfig, preview1};

/// A caller whose exported memory is a plain buffer.
struct Mem(Vec<u8>);

impl Caller for Mem {
    fn memory(&mut self, name: &str) -> Option<&mut [u8]> {
        (name == "memory").then_some(&mut self.0[..])
    }
}

impl Mem {
    fn new() -> Mem {
        Mem(vec![0; 65536])
    }
    fn put(&mut self, at: usize, bytes: &[u8]) {
        self.0[at..at + bytes.len()].copy_from_slice(bytes);
    }
    fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.0[at..at + 4].try_into().unwrap())
    }
    fn u64(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.0[at..at + 8].try_into().unwrap())
    }
}

struct Host {
    wasi: Arc<Wasi>,
    imports: Imports,
}

impl Host {
    fn new(config: WasiConfig) -> Host {
        let wasi = Wasi::new(&config).unwrap();
        let mut imports = Imports::new();
        wasi.define(&mut imports);
        Host { wasi, imports }
    }
    fn call(&self, mem: &mut dyn Caller, name: &str, args: &[Val]) -> Result<Vec<Val>, Trap> {
        match self.imports.get(preview1::MODULE, name) {
            Some(Import::Func(f)) => f.call(mem, args),
            _ => panic!("{name} is not defined"),
        }
    }
    /// Calls a function returning an errno.
    fn errno(&self, mem: &mut dyn Caller, name: &str, args: &[i64]) -> i32 {
        let f = match self.imports.get(preview1::MODULE, name) {
            Some(Import::Func(f)) => f,
            _ => panic!("{name} is not defined"),
        };
        let vals: Vec<Val> =
            f.ty.params
                .iter()
                .zip(args)
                .map(|(t, a)| if *t == wasmlab_contract::ValType::I64 { Val::I64(*a) } else { Val::I32(*a as i32) })
                .collect();
        assert_eq!(vals.len(), f.ty.params.len(), "{name}: wrong argument count");
        match f.call(mem, &vals) {
            Ok(v) => match v[..] {
                [Val::I32(e)] => e,
                _ => panic!("{name} returned {v:?}"),
            },
            Err(t) => panic!("{name} trapped: {t} ({:?})", self.wasi.failure()),
        }
    }
}

// Errno values of preview 1.
const SUCCESS: i32 = 0;
const BADF: i32 = 8;
const NOENT: i32 = 44;
const NOTCAPABLE: i32 = 76;
const PERM: i32 = 63;

#[test]
fn every_preview1_function_is_defined_with_its_signature() {
    let host = Host::new(WasiConfig::default());
    assert_eq!(preview1::FUNCTIONS.len(), 46);
    for name in preview1::FUNCTIONS {
        assert!(matches!(host.imports.get(preview1::MODULE, name), Some(Import::Func(_))), "{name}");
    }
    let Some(Import::Func(f)) = host.imports.get(preview1::MODULE, "path_open") else { unreachable!() };
    assert_eq!(f.ty.to_string(), "[i32 i32 i32 i32 i32 i64 i64 i32 i32] -> [i32]");
    let Some(Import::Func(f)) = host.imports.get(preview1::MODULE, "proc_exit") else { unreachable!() };
    assert_eq!(f.ty.to_string(), "[i32] -> []");
}

#[test]
fn arguments_and_environment_are_exactly_what_was_passed() {
    let host = Host::new(WasiConfig {
        args: vec!["prog".into(), "--flag".into()],
        env: vec![("K".into(), "v=1".into())],
        ..WasiConfig::default()
    });
    let mut m = Mem::new();
    assert_eq!(host.errno(&mut m, "args_sizes_get", &[0, 4]), SUCCESS);
    assert_eq!((m.u32(0), m.u32(4)), (2, 12));
    assert_eq!(host.errno(&mut m, "args_get", &[100, 200]), SUCCESS);
    assert_eq!(&m.0[200..212], b"prog\0--flag\0");
    assert_eq!((m.u32(100), m.u32(104)), (200, 205));
    assert_eq!(host.errno(&mut m, "environ_sizes_get", &[0, 4]), SUCCESS);
    assert_eq!((m.u32(0), m.u32(4)), (1, 6));
    assert_eq!(host.errno(&mut m, "environ_get", &[100, 300]), SUCCESS);
    assert_eq!(&m.0[300..306], b"K=v=1\0");
    // Nothing of the lab's own environment leaks in.
    let bare = Host::new(WasiConfig::default());
    assert_eq!(bare.errno(&mut m, "environ_sizes_get", &[0, 4]), SUCCESS);
    assert_eq!((m.u32(0), m.u32(4)), (0, 0));
}

#[test]
fn deterministic_clocks_and_random_repeat_exactly() {
    let run = || {
        let host = Host::new(WasiConfig { deterministic: true, ..WasiConfig::default() });
        let mut m = Mem::new();
        assert_eq!(host.errno(&mut m, "clock_time_get", &[0, 1, 0]), SUCCESS); // realtime
        assert_eq!(host.errno(&mut m, "clock_time_get", &[0, 1, 8]), SUCCESS);
        assert_eq!(host.errno(&mut m, "clock_time_get", &[1, 1, 16]), SUCCESS); // monotonic
        assert_eq!(host.errno(&mut m, "random_get", &[64, 32]), SUCCESS);
        (m.u64(0), m.u64(8), m.u64(16), m.0[64..96].to_vec())
    };
    let (a, b, mono, random) = run();
    assert_eq!(a, wasmlab_wasi::DETERMINISTIC_EPOCH * 1_000_000_000);
    assert_eq!(b - a, 1_000_000, "each reading advances one millisecond");
    assert_eq!(mono, 1_000_000);
    assert!(random.iter().any(|b| *b != 0));
    assert_eq!(run(), (a, b, mono, random));
    // Without the deterministic mode, the clock is the real one.
    let host = Host::new(WasiConfig::default());
    let mut m = Mem::new();
    assert_eq!(host.errno(&mut m, "clock_time_get", &[0, 1, 0]), SUCCESS);
    assert!(m.u64(0) > 1_700_000_000 * 1_000_000_000);
}

/// Calls `name` expecting the trap WASI requires for a pointer it cannot
/// dereference, and returns the reason recorded.
fn traps(host: &Host, mem: &mut dyn Caller, name: &str, args: &[Val]) -> String {
    assert_eq!(host.call(mem, name, args), Err(Trap::HostError), "{name} {args:?}");
    host.wasi.failure().expect("a trap without a reason")
}

#[test]
fn bad_descriptors_are_errors_and_bad_pointers_trap_as_the_spec_says() {
    let host = Host::new(WasiConfig::default());
    let mut m = Mem::new();
    // Descriptors that are not open, enumerations out of range and
    // impossible sizes are errno results.
    assert_eq!(host.errno(&mut m, "fd_write", &[99, 0, 0, 16]), BADF);
    assert_eq!(host.errno(&mut m, "fd_close", &[12345]), BADF);
    assert_eq!(host.errno(&mut m, "fd_prestat_get", &[3, 0]), BADF);
    assert_eq!(host.errno(&mut m, "fd_seek", &[1, 0, 0, 16]), BADF, "stdout has no seek right");
    // An enumeration value outside the witx traps, as in wasmtime.
    let r = traps(&host, &mut m, "fd_seek", &[Val::I32(1), Val::I64(0), Val::I32(9), Val::I32(16)]);
    assert!(r.contains("Invalid enum value"), "{r}");
    // "If an out-of-bounds pointer is passed to a function and the function
    // needs to dereference it, the function shall trap" (and so for a
    // misaligned one): a clean trap with the reason, on every engine alike.
    let why = |s: &str| s.contains("out of bounds") || s.contains("not aligned") || s.contains("overflow");
    let r = traps(&host, &mut m, "fd_write", &[Val::I32(1), Val::I32(65528), Val::I32(2), Val::I32(16)]);
    assert!(why(&r) && r.starts_with("fd_write"), "{r}");
    m.put(0, &65000u32.to_le_bytes());
    m.put(4, &10000u32.to_le_bytes());
    let r = traps(&host, &mut m, "fd_write", &[Val::I32(1), Val::I32(0), Val::I32(1), Val::I32(16)]);
    assert!(why(&r), "{r}");
    let r = traps(&host, &mut m, "args_sizes_get", &[Val::I32(70000), Val::I32(4)]);
    assert!(why(&r), "{r}");
    let r = traps(&host, &mut m, "clock_time_get", &[Val::I32(0), Val::I64(1), Val::I32(-8)]);
    assert!(why(&r), "{r}");
    let r = traps(&host, &mut m, "random_get", &[Val::I32(-1), Val::I32(-1)]);
    assert!(why(&r), "{r}");
    // The descriptor is checked before the path is read.
    assert_eq!(host.errno(&mut m, "path_open", &[3, 0, 65000, 100000, 0, 0, 0, 0, 0]), BADF);
    // A caller with no memory at all: every pointer is out of bounds.
    struct NoMemory;
    impl Caller for NoMemory {
        fn memory(&mut self, _: &str) -> Option<&mut [u8]> {
            None
        }
    }
    traps(&host, &mut NoMemory, "args_sizes_get", &[Val::I32(0), Val::I32(4)]);
    assert_eq!(host.errno(&mut NoMemory, "sched_yield", &[]), SUCCESS);
    // Wrong value types never reach WASI.
    assert_eq!(host.call(&mut m, "fd_close", &[Val::I64(1)]), Err(Trap::HostError));
    assert_eq!(host.call(&mut m, "fd_close", &[]), Err(Trap::HostError));
    assert_eq!(host.wasi.exit_code(), None);
}

#[test]
fn proc_exit_ends_the_program_with_its_status() {
    let host = Host::new(WasiConfig::default());
    let mut m = Mem::new();
    assert_eq!(host.call(&mut m, "proc_exit", &[Val::I32(7)]), Err(Trap::HostError));
    assert_eq!(host.wasi.exit_code(), Some(7));
    assert_eq!(host.wasi.failure(), None);
}

#[test]
fn stdout_and_stderr_are_captured_and_calls_counted() {
    let host = Host::new(WasiConfig::default());
    let mut m = Mem::new();
    m.put(100, b"hello\n");
    m.put(0, &100u32.to_le_bytes());
    m.put(4, &6u32.to_le_bytes());
    assert_eq!(host.errno(&mut m, "fd_write", &[1, 0, 1, 16]), SUCCESS);
    assert_eq!(m.u32(16), 6);
    assert_eq!(host.errno(&mut m, "fd_write", &[2, 0, 1, 16]), SUCCESS);
    assert_eq!(host.errno(&mut m, "fd_write", &[1, 0, 1, 16]), SUCCESS);
    assert_eq!(host.wasi.stdout(), b"hello\nhello\n");
    assert_eq!(host.wasi.stderr(), b"hello\n");
    assert_eq!(host.wasi.calls(), vec![("fd_write", 3)]);
    // Reading stdin gives end of file, not the lab's input.
    m.put(0, &200u32.to_le_bytes());
    assert_eq!(host.errno(&mut m, "fd_read", &[0, 0, 1, 16]), SUCCESS);
    assert_eq!(m.u32(16), 0);
}

/// Opens `path` (relative to the preopen, fd 3) with `oflags`, returning the
/// errno and the new descriptor.
fn open(host: &Host, m: &mut Mem, path: &str, oflags: i64, rights: i64) -> (i32, u32) {
    m.put(1000, path.as_bytes());
    let e = host.errno(m, "path_open", &[3, 1, 1000, path.len() as i64, oflags, rights, rights, 0, 2000]);
    (e, m.u32(2000))
}

const CREAT_TRUNC: i64 = 1 | 8;
const ALL_RIGHTS: i64 = 0x1fff_ffff;

fn sandbox() -> (tempfile::TempDir, Host) {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("inside")).unwrap();
    std::fs::write(root.path().join("inside/data.txt"), b"in").unwrap();
    std::fs::write(root.path().join("outside"), b"precious").unwrap();
    let host = Host::new(WasiConfig {
        preopens: vec![Preopen { host: root.path().join("inside"), guest: ".".into() }],
        ..WasiConfig::default()
    });
    (root, host)
}

fn untouched(root: &Path) {
    assert_eq!(std::fs::read(root.join("outside")).unwrap(), b"precious");
}

#[test]
fn preopens_are_listed_and_files_inside_them_work() {
    let (root, host) = sandbox();
    let mut m = Mem::new();
    assert_eq!(host.errno(&mut m, "fd_prestat_get", &[3, 0]), SUCCESS);
    assert_eq!(m.u32(4), 1, "the guest name is '.'");
    assert_eq!(host.errno(&mut m, "fd_prestat_dir_name", &[3, 100, 1]), SUCCESS);
    assert_eq!(m.0[100], b'.');
    let (e, fd) = open(&host, &mut m, "data.txt", 0, ALL_RIGHTS);
    assert_eq!(e, SUCCESS);
    m.put(0, &300u32.to_le_bytes());
    m.put(4, &16u32.to_le_bytes());
    assert_eq!(host.errno(&mut m, "fd_read", &[fd as i64, 0, 1, 16]), SUCCESS);
    assert_eq!(&m.0[300..300 + m.u32(16) as usize], b"in");
    let (e, fd) = open(&host, &mut m, "new.txt", CREAT_TRUNC, ALL_RIGHTS);
    assert_eq!(e, SUCCESS);
    m.put(300, b"written");
    m.put(4, &7u32.to_le_bytes());
    assert_eq!(host.errno(&mut m, "fd_write", &[fd as i64, 0, 1, 16]), SUCCESS);
    assert_eq!(host.errno(&mut m, "fd_close", &[fd as i64]), SUCCESS);
    assert_eq!(std::fs::read(root.path().join("inside/new.txt")).unwrap(), b"written");
    assert_eq!(open(&host, &mut m, "missing.txt", 0, ALL_RIGHTS).0, NOENT);
}

#[test]
fn dot_dot_cannot_leave_a_preopen() {
    let (root, host) = sandbox();
    let mut m = Mem::new();
    for path in ["../outside", "./../outside", "sub/../../outside", "../inside/../outside"] {
        let (e, _) = open(&host, &mut m, path, CREAT_TRUNC, ALL_RIGHTS);
        assert!(e == NOTCAPABLE || e == PERM || e == NOENT, "{path}: errno {e}");
        untouched(root.path());
    }
    // Creating a directory or unlinking outside fails the same way.
    m.put(1000, b"../made");
    assert_ne!(host.errno(&mut m, "path_create_directory", &[3, 1000, 7]), SUCCESS);
    assert!(!root.path().join("made").exists());
    m.put(1000, b"../outside");
    assert_ne!(host.errno(&mut m, "path_unlink_file", &[3, 1000, 10]), SUCCESS);
    untouched(root.path());
}

#[test]
fn absolute_paths_cannot_leave_a_preopen() {
    let (root, host) = sandbox();
    let mut m = Mem::new();
    let abs = root.path().join("outside").display().to_string();
    let (e, _) = open(&host, &mut m, &abs, CREAT_TRUNC, ALL_RIGHTS);
    assert_ne!(e, SUCCESS, "{abs}");
    untouched(root.path());
    assert_ne!(open(&host, &mut m, "/etc/passwd", 0, ALL_RIGHTS).0, SUCCESS);
}

#[cfg(unix)]
#[test]
fn symlinks_cannot_leave_a_preopen() {
    let (root, host) = sandbox();
    std::os::unix::fs::symlink(root.path().join("outside"), root.path().join("inside/abs-link")).unwrap();
    std::os::unix::fs::symlink("../outside", root.path().join("inside/rel-link")).unwrap();
    std::os::unix::fs::symlink("..", root.path().join("inside/up")).unwrap();
    let mut m = Mem::new();
    for path in ["abs-link", "rel-link", "up/outside"] {
        // Following the link (lookup flag 1) is refused...
        let (e, _) = open(&host, &mut m, path, CREAT_TRUNC, ALL_RIGHTS);
        assert_ne!(e, SUCCESS, "{path}");
        untouched(root.path());
    }
    // ...and so is making a new link that points out.
    m.put(1000, b"../outside");
    m.put(1100, b"mine");
    let e = host.errno(&mut m, "path_symlink", &[1000, 10, 3, 1100, 4]);
    if e == SUCCESS {
        let (e, _) = open(&host, &mut m, "mine", CREAT_TRUNC, ALL_RIGHTS);
        assert_ne!(e, SUCCESS);
    }
    untouched(root.path());
}

#[test]
fn a_preopen_that_is_not_a_directory_is_a_clear_error() {
    let err = Wasi::new(&WasiConfig {
        preopens: vec![Preopen::parse("/definitely/not/here::data")],
        ..WasiConfig::default()
    })
    .err()
    .expect("missing directory accepted");
    assert!(err.to_string().contains("/definitely/not/here"), "{err}");
    assert_eq!(Preopen::parse("a::b"), Preopen { host: "a".into(), guest: "b".into() });
    assert_eq!(Preopen::parse("a"), Preopen { host: "a".into(), guest: "a".into() });
    assert!(Wasi::new(&WasiConfig { env: vec![("A=B".into(), "c".into())], ..WasiConfig::default() }).is_err());
    assert_eq!(wasmlab_wasi::parse_env_var("K=v=1"), Ok(("K".into(), "v=1".into())));
    assert!(wasmlab_wasi::parse_env_var("=v").unwrap_err().to_string().contains("expected K=V"));
    assert!(wasmlab_wasi::parse_env_var("K").is_err());
}

/// Writes an iovec `{buf, len}` at `at`.
fn iovec(m: &mut Mem, at: usize, buf: u32, len: u32) {
    m.put(at, &buf.to_le_bytes());
    m.put(at + 4, &len.to_le_bytes());
}

/// Puts `path` at 1000 and returns (ptr, len) as arguments.
fn path(m: &mut Mem, path: &str) -> [i64; 2] {
    m.put(1000, path.as_bytes());
    [1000, path.len() as i64]
}

#[test]
fn every_preview1_function_is_exercised_against_a_real_directory() {
    let (root, host) = sandbox();
    let mut m = Mem::new();
    let dirf = 3i64;

    // Clocks and scheduling.
    assert_eq!(host.errno(&mut m, "clock_res_get", &[1, 0]), SUCCESS);
    assert!(m.u64(0) > 0);
    assert_eq!(host.errno(&mut m, "sched_yield", &[]), SUCCESS);
    // poll_oneoff with one relative clock subscription of 1 ns.
    m.0[3000..3048].fill(0);
    m.put(3000, &7u64.to_le_bytes()); // userdata
    m.0[3008] = 0; // clock
    m.put(3016, &1u32.to_le_bytes()); // monotonic
    m.put(3024, &1u64.to_le_bytes()); // timeout
    assert_eq!(host.errno(&mut m, "poll_oneoff", &[3000, 3104, 1, 0]), SUCCESS);
    assert_eq!((m.u32(0), m.u64(3104)), (1, 7), "one event, for our subscription");

    // A file: create, write, positional I/O, seek, tell, sizes, times, sync.
    let [p, l] = path(&mut m, "f.txt");
    assert_eq!(host.errno(&mut m, "path_open", &[dirf, 0, p, l, 1, ALL_RIGHTS, ALL_RIGHTS, 0, 2000]), SUCCESS);
    let fd = m.u32(2000) as i64;
    m.put(400, b"hello world");
    iovec(&mut m, 16, 400, 11);
    assert_eq!(host.errno(&mut m, "fd_write", &[fd, 16, 1, 8]), SUCCESS);
    iovec(&mut m, 16, 400, 5);
    assert_eq!(host.errno(&mut m, "fd_pwrite", &[fd, 16, 1, 6, 8]), SUCCESS); // "hello hello"
    iovec(&mut m, 16, 500, 5);
    assert_eq!(host.errno(&mut m, "fd_pread", &[fd, 16, 1, 6, 8]), SUCCESS);
    assert_eq!(&m.0[500..505], b"hello");
    assert_eq!(host.errno(&mut m, "fd_seek", &[fd, 0, 0, 8]), SUCCESS);
    assert_eq!(m.u64(8), 0);
    iovec(&mut m, 16, 500, 11);
    assert_eq!(host.errno(&mut m, "fd_read", &[fd, 16, 1, 8]), SUCCESS);
    assert_eq!(&m.0[500..511], b"hello hello");
    assert_eq!(host.errno(&mut m, "fd_tell", &[fd, 8]), SUCCESS);
    assert_eq!(m.u64(8), 11);
    assert_eq!(host.errno(&mut m, "fd_fdstat_get", &[fd, 600]), SUCCESS);
    assert_eq!(m.0[600], 4, "a regular file");
    // wasi-common cannot change a file's flags after opening: ENOTSUP.
    let flags = host.errno(&mut m, "fd_fdstat_set_flags", &[fd, 1]);
    assert!(flags == SUCCESS || flags == 58, "fd_fdstat_set_flags: {flags}");
    assert_eq!(host.errno(&mut m, "fd_advise", &[fd, 0, 11, 0]), SUCCESS);
    let allocate = host.errno(&mut m, "fd_allocate", &[fd, 0, 11]);
    assert!(allocate == SUCCESS || allocate == 58, "fd_allocate: {allocate}"); // or ENOTSUP
    assert_eq!(host.errno(&mut m, "fd_filestat_set_size", &[fd, 5]), SUCCESS);
    assert_eq!(host.errno(&mut m, "fd_filestat_get", &[fd, 704]), SUCCESS);
    assert_eq!((m.0[720], m.u64(736)), (4, 5), "regular, 5 bytes");
    let t = 1_000_000_000_000_000_000i64;
    assert_eq!(host.errno(&mut m, "fd_filestat_set_times", &[fd, t, t, 1 | 4]), SUCCESS);
    assert_eq!(host.errno(&mut m, "fd_filestat_get", &[fd, 704]), SUCCESS);
    assert_eq!(m.u64(752), t as u64, "mtime set");
    assert_eq!(host.errno(&mut m, "fd_sync", &[fd]), SUCCESS);
    assert_eq!(host.errno(&mut m, "fd_datasync", &[fd]), SUCCESS);
    // wasi-common keeps no per-descriptor rights to shrink: ENOTSUP.
    assert_eq!(host.errno(&mut m, "fd_fdstat_set_rights", &[fd, 2, 0]), 58);
    // Renumber onto a second descriptor, then close it.
    let [p, l] = path(&mut m, "data.txt");
    assert_eq!(host.errno(&mut m, "path_open", &[dirf, 0, p, l, 0, ALL_RIGHTS, ALL_RIGHTS, 0, 2000]), SUCCESS);
    let other = m.u32(2000) as i64;
    assert_eq!(host.errno(&mut m, "fd_renumber", &[fd, other]), SUCCESS);
    assert_eq!(host.errno(&mut m, "fd_close", &[other]), SUCCESS);
    assert_eq!(host.errno(&mut m, "fd_close", &[fd]), BADF, "renumbered away");
    assert_eq!(std::fs::read(root.path().join("inside/f.txt")).unwrap(), b"hello");

    // Paths: stat, times, directories, links, rename, readdir, unlink.
    let [p, l] = path(&mut m, "f.txt");
    assert_eq!(host.errno(&mut m, "path_filestat_get", &[dirf, 1, p, l, 704]), SUCCESS);
    assert_eq!(m.u64(736), 5);
    assert_eq!(host.errno(&mut m, "path_filestat_set_times", &[dirf, 1, p, l, t, t, 1 | 4]), SUCCESS);
    let [p, l] = path(&mut m, "sub");
    assert_eq!(host.errno(&mut m, "path_create_directory", &[dirf, p, l]), SUCCESS);
    assert_eq!(host.errno(&mut m, "path_create_directory", &[dirf, p, l]), 20, "EEXIST");
    m.put(1100, b"f.txt");
    m.put(1200, b"sub/g.txt");
    assert_eq!(host.errno(&mut m, "path_link", &[dirf, 0, 1100, 5, dirf, 1200, 9]), SUCCESS);
    m.put(1300, b"link");
    assert_eq!(host.errno(&mut m, "path_symlink", &[1100, 5, dirf, 1300, 4]), SUCCESS);
    assert_eq!(host.errno(&mut m, "path_readlink", &[dirf, 1300, 4, 1400, 64, 8]), SUCCESS);
    assert_eq!(&m.0[1400..1400 + m.u32(8) as usize], b"f.txt");
    m.put(1500, b"sub/h.txt");
    assert_eq!(host.errno(&mut m, "path_rename", &[dirf, 1200, 9, dirf, 1500, 9]), SUCCESS);
    assert!(root.path().join("inside/sub/h.txt").is_file());
    assert_eq!(host.errno(&mut m, "fd_readdir", &[dirf, 4000, 4096, 0, 8]), SUCCESS);
    let used = m.u32(8) as usize;
    let listing = String::from_utf8_lossy(&m.0[4000..4000 + used]).into_owned();
    for name in ["data.txt", "f.txt", "link", "sub"] {
        assert!(listing.contains(name), "readdir misses {name}");
    }
    let [p, l] = path(&mut m, "sub");
    assert_eq!(host.errno(&mut m, "path_remove_directory", &[dirf, p, l]), 55, "ENOTEMPTY");
    let [p, l] = path(&mut m, "sub/h.txt");
    assert_eq!(host.errno(&mut m, "path_unlink_file", &[dirf, p, l]), SUCCESS);
    let [p, l] = path(&mut m, "sub");
    assert_eq!(host.errno(&mut m, "path_remove_directory", &[dirf, p, l]), SUCCESS);
    assert!(!root.path().join("inside/sub").exists());

    // Signals do not exist for a command: wasi-common traps, saying so.
    assert_eq!(traps(&host, &mut m, "proc_raise", &[Val::I32(6)]), "proc_raise: proc_raise unsupported");
    // There are no sockets: a directory is not one.
    for (name, args) in [
        ("sock_accept", &[dirf, 0, 8][..]),
        ("sock_recv", &[dirf, 16, 1, 0, 8, 12][..]),
        ("sock_send", &[dirf, 16, 1, 0, 8][..]),
        ("sock_shutdown", &[dirf, 3][..]),
    ] {
        let e = host.errno(&mut m, name, args);
        assert!(e == 57 || e == BADF || e == 58, "{name}: errno {e}"); // ENOTSOCK, EBADF or ENOTSUP
    }
    assert_eq!(host.errno(&mut m, "args_sizes_get", &[0, 4]), SUCCESS);
    assert_eq!(host.errno(&mut m, "args_get", &[0, 100]), SUCCESS);
    assert_eq!(host.errno(&mut m, "environ_sizes_get", &[0, 4]), SUCCESS);
    assert_eq!(host.errno(&mut m, "environ_get", &[0, 100]), SUCCESS);
    assert_eq!(host.errno(&mut m, "clock_time_get", &[0, 1, 0]), SUCCESS);
    assert_eq!(host.errno(&mut m, "random_get", &[0, 16]), SUCCESS);
    assert_eq!(host.errno(&mut m, "fd_prestat_get", &[dirf, 0]), SUCCESS);
    assert_eq!(host.errno(&mut m, "fd_prestat_dir_name", &[dirf, 0, 1]), SUCCESS);
    let _ = host.call(&mut m, "proc_exit", &[Val::I32(0)]);
    untouched(root.path());

    // Every function of preview 1 was called above.
    let called: Vec<&str> = host.wasi.calls().iter().map(|(n, _)| *n).collect();
    let missing: Vec<&&str> = preview1::FUNCTIONS.iter().filter(|f| !called.contains(f)).collect();
    assert!(missing.is_empty(), "not exercised: {missing:?}");
}
