//! WASI preview 1 as host functions of the engine contract: every function
//! of `wasi_snapshot_preview1` is wasi-common's implementation, called with
//! the caller's exported memory as wiggle's guest memory (in place, no copy).
//!
//! The table below names each function with its wasm signature; each entry
//! calls the wiggle-generated function of the same name, so a signature that
//! disagrees with the witx does not compile.

use std::sync::Arc;

use wasi_common::snapshots::preview_1::wasi_snapshot_preview1 as p1;
use wasmlab_contract::{Caller, FuncType, HostFunc, Import, Imports, Trap, Val, ValType};
use wiggle::GuestMemory;

use crate::Wasi;

/// The import module every function is defined under.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// A wasm parameter type of a WASI function.
trait Abi: Sized {
    const TYPE: ValType;
    fn from_val(v: &Val) -> Option<Self>;
}

impl Abi for i32 {
    const TYPE: ValType = ValType::I32;
    fn from_val(v: &Val) -> Option<i32> {
        match v {
            Val::I32(x) => Some(*x),
            _ => None,
        }
    }
}

impl Abi for i64 {
    const TYPE: ValType = ValType::I64;
    fn from_val(v: &Val) -> Option<i64> {
        match v {
            Val::I64(x) => Some(*x),
            _ => None,
        }
    }
}

/// What a WASI function hands back to wasm.
trait Ret {
    const TYPES: &'static [ValType];
    fn into_vals(self) -> Vec<Val>;
}

impl Ret for i32 {
    const TYPES: &'static [ValType] = &[ValType::I32];
    fn into_vals(self) -> Vec<Val> {
        vec![Val::I32(self)]
    }
}

impl Ret for () {
    const TYPES: &'static [ValType] = &[];
    fn into_vals(self) -> Vec<Val> {
        Vec::new()
    }
}

macro_rules! preview1 {
    ($( $name:ident ( $($arg:ident : $ty:ident),* ) -> $ret:ty ;)*) => {
        /// Every function of WASI preview 1, in the witx's order.
        pub const FUNCTIONS: &[&str] = &[$(stringify!($name)),*];

        /// Defines every preview-1 function in `imports`, all sharing `wasi`.
        pub(crate) fn define(wasi: &Arc<Wasi>, imports: &mut Imports) {
            let mut _index = 0usize;
            $(
                let ty = FuncType::new([$(<$ty as Abi>::TYPE),*], <$ret as Ret>::TYPES.to_vec());
                let w = Arc::clone(wasi);
                let index = _index;
                let f = HostFunc::with_caller(ty, move |caller: &mut dyn Caller, args: &[Val]| {
                    let mut _args = args.iter();
                    $(let $arg = _args.next().and_then(<$ty as Abi>::from_val).ok_or(Trap::HostError)?;)*
                    w.call(caller, index, args, |ctx, memory| {
                        wiggle::run_in_dummy_executor(p1::$name(ctx, memory, $($arg),*))
                    })
                    .map(Ret::into_vals)
                });
                imports.define(MODULE, stringify!($name), Import::Func(f));
                _index += 1;
            )*
        }
    };
}

preview1! {
    args_get(argv: i32, buf: i32) -> i32;
    args_sizes_get(argc: i32, size: i32) -> i32;
    environ_get(environ: i32, buf: i32) -> i32;
    environ_sizes_get(count: i32, size: i32) -> i32;
    clock_res_get(id: i32, res: i32) -> i32;
    clock_time_get(id: i32, precision: i64, time: i32) -> i32;
    fd_advise(fd: i32, offset: i64, len: i64, advice: i32) -> i32;
    fd_allocate(fd: i32, offset: i64, len: i64) -> i32;
    fd_close(fd: i32) -> i32;
    fd_datasync(fd: i32) -> i32;
    fd_fdstat_get(fd: i32, stat: i32) -> i32;
    fd_fdstat_set_flags(fd: i32, flags: i32) -> i32;
    fd_fdstat_set_rights(fd: i32, base: i64, inheriting: i64) -> i32;
    fd_filestat_get(fd: i32, stat: i32) -> i32;
    fd_filestat_set_size(fd: i32, size: i64) -> i32;
    fd_filestat_set_times(fd: i32, atim: i64, mtim: i64, flags: i32) -> i32;
    fd_pread(fd: i32, iovs: i32, iovs_len: i32, offset: i64, nread: i32) -> i32;
    fd_prestat_get(fd: i32, stat: i32) -> i32;
    fd_prestat_dir_name(fd: i32, path: i32, len: i32) -> i32;
    fd_pwrite(fd: i32, iovs: i32, iovs_len: i32, offset: i64, nwritten: i32) -> i32;
    fd_read(fd: i32, iovs: i32, iovs_len: i32, nread: i32) -> i32;
    fd_readdir(fd: i32, buf: i32, len: i32, cookie: i64, used: i32) -> i32;
    fd_renumber(fd: i32, to: i32) -> i32;
    fd_seek(fd: i32, offset: i64, whence: i32, new_offset: i32) -> i32;
    fd_sync(fd: i32) -> i32;
    fd_tell(fd: i32, offset: i32) -> i32;
    fd_write(fd: i32, iovs: i32, iovs_len: i32, nwritten: i32) -> i32;
    path_create_directory(fd: i32, path: i32, len: i32) -> i32;
    path_filestat_get(fd: i32, flags: i32, path: i32, len: i32, stat: i32) -> i32;
    path_filestat_set_times(fd: i32, flags: i32, path: i32, len: i32, atim: i64, mtim: i64, fst: i32) -> i32;
    path_link(fd: i32, flags: i32, path: i32, len: i32, new_fd: i32, new_path: i32, new_len: i32) -> i32;
    path_open(fd: i32, dirflags: i32, path: i32, len: i32, oflags: i32, base: i64, inheriting: i64, fdflags: i32, opened: i32) -> i32;
    path_readlink(fd: i32, path: i32, len: i32, buf: i32, buf_len: i32, used: i32) -> i32;
    path_remove_directory(fd: i32, path: i32, len: i32) -> i32;
    path_rename(fd: i32, path: i32, len: i32, new_fd: i32, new_path: i32, new_len: i32) -> i32;
    path_symlink(path: i32, len: i32, fd: i32, new_path: i32, new_len: i32) -> i32;
    path_unlink_file(fd: i32, path: i32, len: i32) -> i32;
    poll_oneoff(subs: i32, events: i32, nsubs: i32, nevents: i32) -> i32;
    proc_exit(code: i32) -> ();
    proc_raise(sig: i32) -> i32;
    sched_yield() -> i32;
    random_get(buf: i32, len: i32) -> i32;
    sock_accept(fd: i32, flags: i32, new_fd: i32) -> i32;
    sock_recv(fd: i32, data: i32, data_len: i32, flags: i32, len: i32, oflags: i32) -> i32;
    sock_send(fd: i32, data: i32, data_len: i32, flags: i32, len: i32) -> i32;
    sock_shutdown(fd: i32, how: i32) -> i32;
}

/// The index of `name` in [`FUNCTIONS`].
pub fn index_of(name: &str) -> Option<usize> {
    FUNCTIONS.iter().position(|f| *f == name)
}

/// The guest memory a call sees: the caller's exported `memory`, or none at
/// all (every pointer is then out of bounds, which WASI reports as a fault).
pub(crate) fn guest_memory<'a>(caller: &'a mut dyn Caller, empty: &'a mut [u8; 0]) -> GuestMemory<'a> {
    GuestMemory::Unshared(caller.memory("memory").unwrap_or(empty))
}
