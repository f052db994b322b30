//! The dispatch loop: executes register IR over one value stack of `u64`
//! slots, with an explicit frame stack (no native recursion per wasm call,
//! so call depth is bounded by [`MAX_FRAMES`] and [`MAX_SLOTS`] and
//! exhaustion is `Trap::StackOverflow`).
//!
//! Invariants the unsafe register and code accesses rely on (established by
//! the translator and checked at every call):
//! - every register index in a function's code is below its `frame_size`,
//!   and the stack holds at least `base + frame_size` slots for the running
//!   frame;
//! - every branch target is inside the function's code, and every path ends
//!   in a `Return`, `Br*` or trapping instruction (the code never runs off
//!   its end);
//! - indices of functions, globals, tables and segments were validated.

use wasmlab_contract::{Trap, Val};
use wasmlab_regir::{Func, Instr};
use wasmlab_runtime::{FuncRef, InstanceData, Table, VmCtx, raw, sig};

/// Deepest wasm call nesting.
pub const MAX_FRAMES: usize = 50_000;
/// Most value-stack slots (64 MiB).
pub const MAX_SLOTS: usize = 8 << 20;
const INITIAL_SLOTS: usize = 1 << 14;

/// An interpreter module's code, pointed to by `VmCtx::code`.
pub struct Code {
    pub funcs: Vec<Func>,
}

#[derive(Clone, Copy)]
struct Frame {
    func: *const Func,
    ip: *const Instr,
    base: usize,
    vmctx: *mut VmCtx,
    loop_counter: *mut u32,
}

/// Value and frame stacks, reused across calls of one store.
pub struct Vm {
    stack: Vec<u64>,
    frames: Vec<Frame>,
}

impl Default for Vm {
    fn default() -> Self {
        Vm {
            stack: vec![0; INITIAL_SLOTS],
            frames: Vec::new(),
        }
    }
}

impl Vm {
    /// Makes `stack[..need]` exist, within [`MAX_SLOTS`].
    #[cold]
    fn grow(&mut self, need: usize) -> Result<(), Trap> {
        if need > MAX_SLOTS {
            return Err(Trap::StackOverflow);
        }
        let len = need.next_power_of_two().min(MAX_SLOTS);
        self.stack.resize(len, 0);
        Ok(())
    }

    /// Calls `f` with raw `args`; the raw results.
    ///
    /// # Safety
    /// `f` must be a function reference of a live store whose instances'
    /// `VmCtx::code` point to [`Code`] of this interpreter, and `args` must
    /// match its signature.
    pub unsafe fn invoke(
        &mut self,
        f: *const FuncRef,
        args: &[u64],
        fuel: &mut i64,
    ) -> Result<Vec<u64>, Trap> {
        let ty = sig::func_type(unsafe { (*f).sig });
        let n = args.len().max(ty.results.len());
        if self.stack.len() < n {
            self.grow(n)?;
        }
        self.stack[..args.len()].copy_from_slice(args);
        self.frames.clear();
        // SAFETY: forwarded from the caller.
        unsafe { self.call_ref(f, 0, fuel)? };
        Ok(self.stack[..ty.results.len()].to_vec())
    }

    /// Calls `f` with its arguments at `stack[base..]`; the results come
    /// back there.
    unsafe fn call_ref(
        &mut self,
        f: *const FuncRef,
        base: usize,
        fuel: &mut i64,
    ) -> Result<(), Trap> {
        unsafe {
            if !(*f).host.is_null() {
                return self.call_host(f, base);
            }
            let vmctx = (*f).vmctx;
            let code = &*((*vmctx).code as *const Code);
            let func = &code.funcs[(*f).index as usize];
            self.enter(func, base, (*f).index)?;
            self.run(func, vmctx, base, (*f).index, fuel)
        }
    }

    /// Calls a host function with the arguments at `stack[base..]`.
    #[inline(never)]
    unsafe fn call_host(&mut self, f: *const FuncRef, base: usize) -> Result<(), Trap> {
        // SAFETY: a host FuncRef points to its live HostFunc.
        let h = unsafe { &*(*f).host };
        let args: Vec<Val> =
            h.ty.params
                .iter()
                .enumerate()
                .map(|(i, t)| raw_val(self.stack[base + i], *t))
                .collect();
        let results = h.call(&args)?;
        if results.len() != h.ty.results.len()
            || results.iter().zip(&h.ty.results).any(|(v, t)| v.ty() != *t)
        {
            return Err(Trap::HostError);
        }
        if self.stack.len() < base + results.len() {
            self.grow(base + results.len())?;
        }
        for (i, v) in results.into_iter().enumerate() {
            self.stack[base + i] = match v {
                // A host cannot make function references of this store.
                Val::FuncRef(Some(_)) => return Err(Trap::HostError),
                v => raw::from_val(v),
            };
        }
        Ok(())
    }

    /// Prepares a frame for `func` at `base`: room, depth, zeroed locals.
    #[inline(always)]
    fn enter(&mut self, func: &Func, base: usize, _index: u32) -> Result<(), Trap> {
        let need = base + func.frame_size as usize;
        if need > self.stack.len() {
            self.grow(need)?;
        }
        if self.frames.len() >= MAX_FRAMES {
            return Err(Trap::StackOverflow);
        }
        self.stack[base + func.num_params as usize..base + func.num_locals as usize].fill(0);
        Ok(())
    }

    /// The dispatch loop, from the entry of `func` until it returns to the
    /// host.
    #[allow(clippy::too_many_lines)]
    unsafe fn run(
        &mut self,
        func: &Func,
        vmctx: *mut VmCtx,
        base: usize,
        index: u32,
        fuel: &mut i64,
    ) -> Result<(), Trap> {
        let entry_depth = self.frames.len();
        let mut func: *const Func = func;
        let mut vmctx = vmctx;
        let mut base = base;
        let mut code: *const Instr = unsafe { (*func).code.as_ptr() };
        let mut ip: *const Instr = code;
        let mut regs: *mut u64 = unsafe { self.stack.as_mut_ptr().add(base) };
        let mut mem_base: *mut u8 = unsafe { (*vmctx).mem_base };
        let mut mem_len: u64 = unsafe { (*vmctx).mem_len };
        let mut loop_counter: *mut u32 = unsafe { (*vmctx).loop_counts.add(index as usize) };
        let mut fuel_left = *fuel;
        unsafe {
            *(*vmctx).call_counts.add(index as usize) += 1;
        }
        fuel_left -= 1;
        if fuel_left < 0 {
            *fuel = fuel_left;
            return Err(Trap::OutOfFuel);
        }

        macro_rules! r {
            ($i:expr) => {
                *regs.add($i as usize)
            };
        }
        macro_rules! trap {
            ($t:expr) => {{
                *fuel = fuel_left;
                return Err($t);
            }};
        }
        macro_rules! un32 {
            ($d:expr, $s:expr, $f:expr) => {{
                let x = r!($s) as u32;
                r!($d) = ($f)(x) as u32 as u64;
            }};
        }
        macro_rules! un64 {
            ($d:expr, $s:expr, $f:expr) => {{
                let x = r!($s);
                r!($d) = ($f)(x) as u64;
            }};
        }
        macro_rules! unf32 {
            ($d:expr, $s:expr, $f:expr) => {{
                let x = f32::from_bits(r!($s) as u32);
                r!($d) = ($f)(x).to_bits() as u64;
            }};
        }
        macro_rules! unf64 {
            ($d:expr, $s:expr, $f:expr) => {{
                let x = f64::from_bits(r!($s));
                r!($d) = ($f)(x).to_bits();
            }};
        }
        macro_rules! bin32 {
            ($d:expr, $x:expr, $y:expr, $f:expr) => {{
                let x = $x as u32;
                let y = $y as u32;
                r!($d) = ($f)(x, y) as u32 as u64;
            }};
        }
        macro_rules! bin64 {
            ($d:expr, $x:expr, $y:expr, $f:expr) => {{
                let x = $x as u64;
                let y = $y as u64;
                r!($d) = ($f)(x, y) as u64;
            }};
        }
        macro_rules! tbin32 {
            ($d:expr, $x:expr, $y:expr, $f:expr) => {{
                match $f($x as u32, $y as u32) {
                    Ok(v) => r!($d) = v as u64,
                    Err(t) => trap!(t),
                }
            }};
        }
        macro_rules! tbin64 {
            ($d:expr, $x:expr, $y:expr, $f:expr) => {{
                match $f($x as u64, $y as u64) {
                    Ok(v) => r!($d) = v,
                    Err(t) => trap!(t),
                }
            }};
        }
        macro_rules! binf32 {
            ($d:expr, $a:expr, $b:expr, $f:expr) => {{
                let x = f32::from_bits(r!($a) as u32);
                let y = f32::from_bits(r!($b) as u32);
                r!($d) = ($f)(x, y).to_bits() as u64;
            }};
        }
        macro_rules! binf64 {
            ($d:expr, $a:expr, $b:expr, $f:expr) => {{
                let x = f64::from_bits(r!($a));
                let y = f64::from_bits(r!($b));
                r!($d) = ($f)(x, y).to_bits();
            }};
        }
        macro_rules! cmpf32 {
            ($d:expr, $a:expr, $b:expr, $f:expr) => {{
                let x = f32::from_bits(r!($a) as u32);
                let y = f32::from_bits(r!($b) as u32);
                r!($d) = ($f)(x, y) as u64;
            }};
        }
        macro_rules! cmpf64 {
            ($d:expr, $a:expr, $b:expr, $f:expr) => {{
                let x = f64::from_bits(r!($a));
                let y = f64::from_bits(r!($b));
                r!($d) = ($f)(x, y) as u64;
            }};
        }
        macro_rules! conv {
            ($d:expr, $s:expr, $f:expr) => {{
                match $f(r!($s)) {
                    Ok(v) => r!($d) = v,
                    Err(t) => trap!(t),
                }
            }};
        }
        macro_rules! jump {
            ($t:expr) => {{
                let t = code.add($t as usize);
                if t < ip {
                    // A loop back-edge: fuel and the tier-up counter.
                    fuel_left -= 1;
                    if fuel_left < 0 {
                        trap!(Trap::OutOfFuel);
                    }
                    *loop_counter = (*loop_counter).wrapping_add(1);
                }
                ip = t;
            }};
        }
        macro_rules! br_if {
            ($cond:expr, $t:expr) => {{
                if $cond {
                    jump!($t);
                }
            }};
        }
        /// The address of an access of `$n` bytes, or a trap.
        macro_rules! addr {
            ($a:expr, $off:expr, $n:expr) => {{
                let ea = (r!($a) as u32 as u64) + $off as u64;
                if ea + $n > mem_len {
                    trap!(Trap::MemoryOutOfBounds);
                }
                mem_base.add(ea as usize)
            }};
        }
        macro_rules! load {
            ($d:expr, $a:expr, $off:expr, $t:ty, $conv:expr) => {{
                let p = addr!($a, $off, std::mem::size_of::<$t>() as u64);
                let v = <$t>::from_le(std::ptr::read_unaligned(p as *const $t));
                r!($d) = ($conv)(v);
            }};
        }
        macro_rules! store {
            ($a:expr, $s:expr, $off:expr, $t:ty) => {{
                let p = addr!($a, $off, std::mem::size_of::<$t>() as u64);
                std::ptr::write_unaligned(p as *mut $t, (r!($s) as $t).to_le());
            }};
        }
        macro_rules! reload_mem {
            () => {{
                mem_base = (*vmctx).mem_base;
                mem_len = (*vmctx).mem_len;
            }};
        }
        /// Pushes the current frame and enters `$callee` of instance
        /// `$ctx` with its registers at `regs[$b..]`.
        macro_rules! call_wasm {
            ($callee:expr, $index:expr, $ctx:expr, $b:expr) => {{
                let callee: *const Func = $callee;
                let new_base = base + $b as usize;
                if let Err(t) = self.enter(&*callee, new_base, $index) {
                    trap!(t);
                }
                fuel_left -= 1;
                if fuel_left < 0 {
                    trap!(Trap::OutOfFuel);
                }
                self.frames.push(Frame {
                    func,
                    ip,
                    base,
                    vmctx,
                    loop_counter,
                });
                let ctx: *mut VmCtx = $ctx;
                if ctx != vmctx {
                    vmctx = ctx;
                    reload_mem!();
                }
                *(*vmctx).call_counts.add($index as usize) += 1;
                loop_counter = (*vmctx).loop_counts.add($index as usize);
                func = callee;
                base = new_base;
                code = (*func).code.as_ptr();
                ip = code;
                regs = self.stack.as_mut_ptr().add(base);
            }};
        }
        /// Returns to the caller's frame, or to the host.
        macro_rules! ret {
            () => {{
                if self.frames.len() == entry_depth {
                    *fuel = fuel_left;
                    return Ok(());
                }
                let f = self.frames.pop().unwrap_unchecked();
                func = f.func;
                ip = f.ip;
                base = f.base;
                code = (*func).code.as_ptr();
                regs = self.stack.as_mut_ptr().add(base);
                vmctx = f.vmctx;
                loop_counter = f.loop_counter;
                // The callee may have grown the memory.
                reload_mem!();
            }};
        }
        /// Calls any function reference (host, or wasm of any instance).
        macro_rules! call_ref {
            ($f:expr, $b:expr) => {{
                let f: *const FuncRef = $f;
                if (*f).host.is_null() {
                    let ctx = (*f).vmctx;
                    let c = &*((*ctx).code as *const Code);
                    call_wasm!(&c.funcs[(*f).index as usize], (*f).index, ctx, $b);
                } else {
                    let b = base + $b as usize;
                    if let Err(t) = self.call_host(f, b) {
                        trap!(t);
                    }
                    regs = self.stack.as_mut_ptr().add(base);
                }
            }};
        }

        unsafe {
            loop {
                let instr = *ip;
                ip = ip.add(1);
                match instr {
                    Instr::Copy { dst, src } => r!(dst) = r!(src),
                    Instr::Const32 { dst, imm } => r!(dst) = imm as u64,
                    Instr::Const64 { dst, imm } => r!(dst) = imm,
                    Instr::CopySpan { dst, src, n } => {
                        std::ptr::copy(regs.add(src as usize), regs.add(dst as usize), n as usize)
                    }
                    Instr::Select { dst, c, a, b } => {
                        r!(dst) = if r!(c) as u32 != 0 { r!(a) } else { r!(b) }
                    }
                    Instr::Br { target } => jump!(target),
                    Instr::BrIfNz { c, target } => br_if!(r!(c) as u32 != 0, target),
                    Instr::BrIfZ { c, target } => br_if!(r!(c) as u32 == 0, target),
                    Instr::BrTable { index, count } => {
                        let i = (r!(index) as u32).min(count);
                        ip = ip.add(i as usize);
                    }
                    Instr::Return1 { src } => {
                        r!(0) = r!(src);
                        ret!();
                    }
                    Instr::Return => ret!(),
                    Instr::Unreachable => trap!(Trap::Unreachable),
                    Instr::Call {
                        func: callee,
                        base: b,
                    } => {
                        let c = &*((*vmctx).code as *const Code);
                        call_wasm!(c.funcs.as_ptr().add(callee as usize), callee, vmctx, b);
                    }
                    Instr::CallImport { func: f, base: b } => {
                        call_ref!(*(*vmctx).funcs.add(f as usize), b);
                    }
                    Instr::CallIndirect {
                        table,
                        ty,
                        index,
                        base: b,
                    } => {
                        let t = &**(*vmctx).tables.add(table as usize);
                        let i = r!(index) as u32 as u64;
                        if i >= t.len {
                            trap!(Trap::TableOutOfBounds);
                        }
                        let f = *t.base.add(i as usize) as *const FuncRef;
                        if f.is_null() {
                            trap!(Trap::IndirectCallToNull);
                        }
                        if (*f).sig != *(*vmctx).sig_ids.add(ty as usize) {
                            trap!(Trap::BadSignature);
                        }
                        call_ref!(f, b);
                    }
                    Instr::GlobalGet { dst, global } => {
                        r!(dst) = **(*vmctx).globals.add(global as usize)
                    }
                    Instr::GlobalSet { src, global } => {
                        **(*vmctx).globals.add(global as usize) = r!(src)
                    }

                    Instr::Load32 { dst, addr, offset } => {
                        load!(dst, addr, offset, u32, |v: u32| v as u64)
                    }
                    Instr::Load64 { dst, addr, offset } => {
                        load!(dst, addr, offset, u64, |v: u64| v)
                    }
                    Instr::Load8S32 { dst, addr, offset } => {
                        load!(dst, addr, offset, u8, |v: u8| v as i8 as i32 as u32 as u64)
                    }
                    Instr::Load8U { dst, addr, offset } => {
                        load!(dst, addr, offset, u8, |v: u8| v as u64)
                    }
                    Instr::Load16S32 { dst, addr, offset } => {
                        load!(dst, addr, offset, u16, |v: u16| v as i16 as i32 as u32
                            as u64)
                    }
                    Instr::Load16U { dst, addr, offset } => {
                        load!(dst, addr, offset, u16, |v: u16| v as u64)
                    }
                    Instr::Load8S64 { dst, addr, offset } => {
                        load!(dst, addr, offset, u8, |v: u8| v as i8 as i64 as u64)
                    }
                    Instr::Load16S64 { dst, addr, offset } => {
                        load!(dst, addr, offset, u16, |v: u16| v as i16 as i64 as u64)
                    }
                    Instr::Load32S64 { dst, addr, offset } => {
                        load!(dst, addr, offset, u32, |v: u32| v as i32 as i64 as u64)
                    }
                    Instr::Store8 { addr, src, offset } => store!(addr, src, offset, u8),
                    Instr::Store16 { addr, src, offset } => store!(addr, src, offset, u16),
                    Instr::Store32 { addr, src, offset } => store!(addr, src, offset, u32),
                    Instr::Store64 { addr, src, offset } => store!(addr, src, offset, u64),

                    Instr::MemorySize { dst } => {
                        r!(dst) = mem_len / wasmlab_runtime::memory::PAGE_SIZE
                    }
                    Instr::MemoryGrow { dst, delta } => {
                        let m = &mut *(*vmctx).memory;
                        r!(dst) = match m.grow(r!(delta) as u32 as u64) {
                            Some(old) => old as u32 as u64,
                            None => u32::MAX as u64,
                        };
                        reload_mem!();
                    }
                    Instr::MemoryFill { dst, val, len } => {
                        let m = &mut *(*vmctx).memory;
                        if let Err(t) =
                            m.fill(r!(dst) as u32 as u64, r!(val) as u8, r!(len) as u32 as u64)
                        {
                            trap!(t);
                        }
                    }
                    Instr::MemoryCopy { dst, src, len } => {
                        let m = &mut *(*vmctx).memory;
                        if let Err(t) = m.copy(
                            r!(dst) as u32 as u64,
                            r!(src) as u32 as u64,
                            r!(len) as u32 as u64,
                        ) {
                            trap!(t);
                        }
                    }
                    Instr::MemoryInit { seg, dst, src, len } => {
                        let inst = &*(*vmctx).instance;
                        let m = &mut *(*vmctx).memory;
                        let data = &inst.datas[seg as usize];
                        if let Err(t) = m.init(
                            r!(dst) as u32 as u64,
                            data,
                            r!(src) as u32 as u64,
                            r!(len) as u32 as u64,
                        ) {
                            trap!(t);
                        }
                    }
                    Instr::DataDrop { seg } => {
                        let inst = (*vmctx).instance as *mut InstanceData;
                        (&mut (*inst).datas)[seg as usize] = std::sync::Arc::from(&[][..]);
                    }
                    Instr::TableGet { dst, index, table } => {
                        let t = &**(*vmctx).tables.add(table as usize);
                        match t.get(r!(index) as u32 as u64) {
                            Ok(v) => r!(dst) = v,
                            Err(e) => trap!(e),
                        }
                    }
                    Instr::TableSet { table, index, val } => {
                        let t = &mut **(*vmctx).tables.add(table as usize);
                        if let Err(e) = t.set(r!(index) as u32 as u64, r!(val)) {
                            trap!(e);
                        }
                    }
                    Instr::TableSize { dst, table } => {
                        r!(dst) = (**(*vmctx).tables.add(table as usize)).len
                    }
                    Instr::TableGrow {
                        dst,
                        init,
                        delta,
                        table,
                    } => {
                        let t = &mut **(*vmctx).tables.add(table as usize);
                        r!(dst) = match t.grow(r!(delta) as u32 as u64, r!(init)) {
                            Some(old) => old as u32 as u64,
                            None => u32::MAX as u64,
                        };
                    }
                    Instr::TableFill {
                        table,
                        dst,
                        val,
                        len,
                    } => {
                        let t = &mut **(*vmctx).tables.add(table as usize);
                        if let Err(e) =
                            t.fill(r!(dst) as u32 as u64, r!(val), r!(len) as u32 as u64)
                        {
                            trap!(e);
                        }
                    }
                    Instr::TableCopy {
                        dst_table,
                        src_table,
                        dst,
                        src,
                        len,
                    } => {
                        let d: *mut Table = *(*vmctx).tables.add(dst_table as usize);
                        let s: *mut Table = *(*vmctx).tables.add(src_table as usize);
                        let (di, si, n) = (
                            r!(dst) as u32 as u64,
                            r!(src) as u32 as u64,
                            r!(len) as u32 as u64,
                        );
                        let res = if d == s {
                            (*d).copy_within(di, si, n)
                        } else {
                            (*d).copy_from(di, &*s, si, n)
                        };
                        if let Err(e) = res {
                            trap!(e);
                        }
                    }
                    Instr::TableInit {
                        table,
                        seg,
                        dst,
                        src,
                        len,
                    } => {
                        let inst = &*(*vmctx).instance;
                        let t = &mut **(*vmctx).tables.add(table as usize);
                        let items = &inst.elems[seg as usize];
                        if let Err(e) = t.init(
                            r!(dst) as u32 as u64,
                            items,
                            r!(src) as u32 as u64,
                            r!(len) as u32 as u64,
                        ) {
                            trap!(e);
                        }
                    }
                    Instr::ElemDrop { seg } => {
                        let inst = (*vmctx).instance as *mut InstanceData;
                        (&mut (*inst).elems)[seg as usize] = Vec::new();
                    }
                    Instr::RefFunc { dst, func: f } => {
                        r!(dst) = *(*vmctx).funcs.add(f as usize) as u64
                    }

                    // i32 unary
                    Instr::I32Clz { dst, src } => un32!(dst, src, |x: u32| x.leading_zeros()),
                    Instr::I32Ctz { dst, src } => un32!(dst, src, |x: u32| x.trailing_zeros()),
                    Instr::I32Popcnt { dst, src } => un32!(dst, src, |x: u32| x.count_ones()),
                    Instr::I32Eqz { dst, src } => un32!(dst, src, |x: u32| (x == 0) as u32),
                    Instr::I64Clz { dst, src } => un64!(dst, src, |x: u64| x.leading_zeros()),
                    Instr::I64Ctz { dst, src } => un64!(dst, src, |x: u64| x.trailing_zeros()),
                    Instr::I64Popcnt { dst, src } => un64!(dst, src, |x: u64| x.count_ones()),
                    Instr::I64Eqz { dst, src } => un64!(dst, src, |x: u64| (x == 0) as u32),
                    Instr::F32Abs { dst, src } => r!(dst) = r!(src) & 0x7fff_ffff,
                    Instr::F32Neg { dst, src } => r!(dst) = (r!(src) ^ 0x8000_0000) & 0xffff_ffff,
                    Instr::F32Ceil { dst, src } => {
                        unf32!(dst, src, |x: f32| if x.is_nan() { x + x } else { x.ceil() })
                    }
                    Instr::F32Floor { dst, src } => unf32!(dst, src, |x: f32| if x.is_nan() {
                        x + x
                    } else {
                        x.floor()
                    }),
                    Instr::F32Trunc { dst, src } => unf32!(dst, src, |x: f32| if x.is_nan() {
                        x + x
                    } else {
                        x.trunc()
                    }),
                    Instr::F32Nearest { dst, src } => unf32!(dst, src, |x: f32| if x.is_nan() {
                        x + x
                    } else {
                        x.round_ties_even()
                    }),
                    Instr::F32Sqrt { dst, src } => {
                        unf32!(dst, src, |x: f32| if x.is_nan() { x + x } else { x.sqrt() })
                    }
                    Instr::F64Abs { dst, src } => r!(dst) = r!(src) & 0x7fff_ffff_ffff_ffff,
                    Instr::F64Neg { dst, src } => r!(dst) = r!(src) ^ 0x8000_0000_0000_0000,
                    Instr::F64Ceil { dst, src } => {
                        unf64!(dst, src, |x: f64| if x.is_nan() { x + x } else { x.ceil() })
                    }
                    Instr::F64Floor { dst, src } => unf64!(dst, src, |x: f64| if x.is_nan() {
                        x + x
                    } else {
                        x.floor()
                    }),
                    Instr::F64Trunc { dst, src } => unf64!(dst, src, |x: f64| if x.is_nan() {
                        x + x
                    } else {
                        x.trunc()
                    }),
                    Instr::F64Nearest { dst, src } => unf64!(dst, src, |x: f64| if x.is_nan() {
                        x + x
                    } else {
                        x.round_ties_even()
                    }),
                    Instr::F64Sqrt { dst, src } => {
                        unf64!(dst, src, |x: f64| if x.is_nan() { x + x } else { x.sqrt() })
                    }
                    Instr::I32WrapI64 { dst, src } => r!(dst) = r!(src) & 0xffff_ffff,
                    Instr::I32TruncF32S { dst, src } => conv!(dst, src, trunc_f32_i32),
                    Instr::I32TruncF32U { dst, src } => conv!(dst, src, trunc_f32_u32),
                    Instr::I32TruncF64S { dst, src } => conv!(dst, src, trunc_f64_i32),
                    Instr::I32TruncF64U { dst, src } => conv!(dst, src, trunc_f64_u32),
                    Instr::I64ExtendI32S { dst, src } => {
                        r!(dst) = r!(src) as u32 as i32 as i64 as u64
                    }
                    Instr::I64TruncF32S { dst, src } => conv!(dst, src, trunc_f32_i64),
                    Instr::I64TruncF32U { dst, src } => conv!(dst, src, trunc_f32_u64),
                    Instr::I64TruncF64S { dst, src } => conv!(dst, src, trunc_f64_i64),
                    Instr::I64TruncF64U { dst, src } => conv!(dst, src, trunc_f64_u64),
                    Instr::F32ConvertI32S { dst, src } => {
                        r!(dst) = (r!(src) as u32 as i32 as f32).to_bits() as u64
                    }
                    Instr::F32ConvertI32U { dst, src } => {
                        r!(dst) = (r!(src) as u32 as f32).to_bits() as u64
                    }
                    Instr::F32ConvertI64S { dst, src } => {
                        r!(dst) = (r!(src) as i64 as f32).to_bits() as u64
                    }
                    Instr::F32ConvertI64U { dst, src } => {
                        r!(dst) = (r!(src) as f32).to_bits() as u64
                    }
                    Instr::F32DemoteF64 { dst, src } => {
                        r!(dst) = (f64::from_bits(r!(src)) as f32).to_bits() as u64
                    }
                    Instr::F64ConvertI32S { dst, src } => {
                        r!(dst) = (r!(src) as u32 as i32 as f64).to_bits()
                    }
                    Instr::F64ConvertI32U { dst, src } => {
                        r!(dst) = (r!(src) as u32 as f64).to_bits()
                    }
                    Instr::F64ConvertI64S { dst, src } => {
                        r!(dst) = (r!(src) as i64 as f64).to_bits()
                    }
                    Instr::F64ConvertI64U { dst, src } => r!(dst) = (r!(src) as f64).to_bits(),
                    Instr::F64PromoteF32 { dst, src } => {
                        r!(dst) = (f32::from_bits(r!(src) as u32) as f64).to_bits()
                    }
                    Instr::I32Extend8S { dst, src } => {
                        r!(dst) = r!(src) as u8 as i8 as i32 as u32 as u64
                    }
                    Instr::I32Extend16S { dst, src } => {
                        r!(dst) = r!(src) as u16 as i16 as i32 as u32 as u64
                    }
                    Instr::I64Extend8S { dst, src } => r!(dst) = r!(src) as u8 as i8 as i64 as u64,
                    Instr::I64Extend16S { dst, src } => {
                        r!(dst) = r!(src) as u16 as i16 as i64 as u64
                    }
                    Instr::I64Extend32S { dst, src } => {
                        r!(dst) = r!(src) as u32 as i32 as i64 as u64
                    }
                    Instr::I32TruncSatF32S { dst, src } => {
                        r!(dst) = (f32::from_bits(r!(src) as u32) as i32) as u32 as u64
                    }
                    Instr::I32TruncSatF32U { dst, src } => {
                        r!(dst) = (f32::from_bits(r!(src) as u32) as u32) as u64
                    }
                    Instr::I32TruncSatF64S { dst, src } => {
                        r!(dst) = (f64::from_bits(r!(src)) as i32) as u32 as u64
                    }
                    Instr::I32TruncSatF64U { dst, src } => {
                        r!(dst) = (f64::from_bits(r!(src)) as u32) as u64
                    }
                    Instr::I64TruncSatF32S { dst, src } => {
                        r!(dst) = (f32::from_bits(r!(src) as u32) as i64) as u64
                    }
                    Instr::I64TruncSatF32U { dst, src } => {
                        r!(dst) = f32::from_bits(r!(src) as u32) as u64
                    }
                    Instr::I64TruncSatF64S { dst, src } => {
                        r!(dst) = (f64::from_bits(r!(src)) as i64) as u64
                    }
                    Instr::I64TruncSatF64U { dst, src } => r!(dst) = f64::from_bits(r!(src)) as u64,

                    // i32 binary
                    Instr::I32Eq { dst, a, b } => bin32!(dst, r!(a), r!(b), |x, y| x == y),
                    Instr::I32Ne { dst, a, b } => bin32!(dst, r!(a), r!(b), |x, y| x != y),
                    Instr::I32LtS { dst, a, b } => {
                        bin32!(dst, r!(a), r!(b), |x: u32, y: u32| (x as i32) < (y as i32))
                    }
                    Instr::I32LtU { dst, a, b } => bin32!(dst, r!(a), r!(b), |x, y| x < y),
                    Instr::I32GtS { dst, a, b } => {
                        bin32!(dst, r!(a), r!(b), |x: u32, y: u32| (x as i32) > (y as i32))
                    }
                    Instr::I32GtU { dst, a, b } => bin32!(dst, r!(a), r!(b), |x, y| x > y),
                    Instr::I32LeS { dst, a, b } => {
                        bin32!(dst, r!(a), r!(b), |x: u32, y: u32| (x as i32) <= (y as i32))
                    }
                    Instr::I32LeU { dst, a, b } => bin32!(dst, r!(a), r!(b), |x, y| x <= y),
                    Instr::I32GeS { dst, a, b } => {
                        bin32!(dst, r!(a), r!(b), |x: u32, y: u32| (x as i32) >= (y as i32))
                    }
                    Instr::I32GeU { dst, a, b } => bin32!(dst, r!(a), r!(b), |x, y| x >= y),
                    Instr::I32Add { dst, a, b } => bin32!(dst, r!(a), r!(b), u32::wrapping_add),
                    Instr::I32Sub { dst, a, b } => bin32!(dst, r!(a), r!(b), u32::wrapping_sub),
                    Instr::I32Mul { dst, a, b } => bin32!(dst, r!(a), r!(b), u32::wrapping_mul),
                    Instr::I32DivS { dst, a, b } => tbin32!(dst, r!(a), r!(b), div_s32),
                    Instr::I32DivU { dst, a, b } => tbin32!(dst, r!(a), r!(b), div_u32),
                    Instr::I32RemS { dst, a, b } => tbin32!(dst, r!(a), r!(b), rem_s32),
                    Instr::I32RemU { dst, a, b } => tbin32!(dst, r!(a), r!(b), rem_u32),
                    Instr::I32And { dst, a, b } => bin32!(dst, r!(a), r!(b), |x, y| x & y),
                    Instr::I32Or { dst, a, b } => bin32!(dst, r!(a), r!(b), |x, y| x | y),
                    Instr::I32Xor { dst, a, b } => bin32!(dst, r!(a), r!(b), |x, y| x ^ y),
                    Instr::I32Shl { dst, a, b } => bin32!(dst, r!(a), r!(b), u32::wrapping_shl),
                    Instr::I32ShrS { dst, a, b } => {
                        bin32!(dst, r!(a), r!(b), |x: u32, y| (x as i32).wrapping_shr(y))
                    }
                    Instr::I32ShrU { dst, a, b } => bin32!(dst, r!(a), r!(b), u32::wrapping_shr),
                    Instr::I32Rotl { dst, a, b } => bin32!(dst, r!(a), r!(b), u32::rotate_left),
                    Instr::I32Rotr { dst, a, b } => bin32!(dst, r!(a), r!(b), u32::rotate_right),
                    Instr::I32EqImm { dst, a, imm } => bin32!(dst, r!(a), imm, |x, y| x == y),
                    Instr::I32NeImm { dst, a, imm } => bin32!(dst, r!(a), imm, |x, y| x != y),
                    Instr::I32LtSImm { dst, a, imm } => {
                        bin32!(dst, r!(a), imm, |x: u32, y: u32| (x as i32) < (y as i32))
                    }
                    Instr::I32LtUImm { dst, a, imm } => bin32!(dst, r!(a), imm, |x, y| x < y),
                    Instr::I32GtSImm { dst, a, imm } => {
                        bin32!(dst, r!(a), imm, |x: u32, y: u32| (x as i32) > (y as i32))
                    }
                    Instr::I32GtUImm { dst, a, imm } => bin32!(dst, r!(a), imm, |x, y| x > y),
                    Instr::I32LeSImm { dst, a, imm } => {
                        bin32!(dst, r!(a), imm, |x: u32, y: u32| (x as i32) <= (y as i32))
                    }
                    Instr::I32LeUImm { dst, a, imm } => bin32!(dst, r!(a), imm, |x, y| x <= y),
                    Instr::I32GeSImm { dst, a, imm } => {
                        bin32!(dst, r!(a), imm, |x: u32, y: u32| (x as i32) >= (y as i32))
                    }
                    Instr::I32GeUImm { dst, a, imm } => bin32!(dst, r!(a), imm, |x, y| x >= y),
                    Instr::I32AddImm { dst, a, imm } => bin32!(dst, r!(a), imm, u32::wrapping_add),
                    Instr::I32SubImm { dst, a, imm } => bin32!(dst, r!(a), imm, u32::wrapping_sub),
                    Instr::I32MulImm { dst, a, imm } => bin32!(dst, r!(a), imm, u32::wrapping_mul),
                    Instr::I32DivSImm { dst, a, imm } => tbin32!(dst, r!(a), imm, div_s32),
                    Instr::I32DivUImm { dst, a, imm } => tbin32!(dst, r!(a), imm, div_u32),
                    Instr::I32RemSImm { dst, a, imm } => tbin32!(dst, r!(a), imm, rem_s32),
                    Instr::I32RemUImm { dst, a, imm } => tbin32!(dst, r!(a), imm, rem_u32),
                    Instr::I32AndImm { dst, a, imm } => bin32!(dst, r!(a), imm, |x, y| x & y),
                    Instr::I32OrImm { dst, a, imm } => bin32!(dst, r!(a), imm, |x, y| x | y),
                    Instr::I32XorImm { dst, a, imm } => bin32!(dst, r!(a), imm, |x, y| x ^ y),
                    Instr::I32ShlImm { dst, a, imm } => bin32!(dst, r!(a), imm, u32::wrapping_shl),
                    Instr::I32ShrSImm { dst, a, imm } => {
                        bin32!(dst, r!(a), imm, |x: u32, y| (x as i32).wrapping_shr(y))
                    }
                    Instr::I32ShrUImm { dst, a, imm } => bin32!(dst, r!(a), imm, u32::wrapping_shr),
                    Instr::I32RotlImm { dst, a, imm } => bin32!(dst, r!(a), imm, u32::rotate_left),
                    Instr::I32RotrImm { dst, a, imm } => bin32!(dst, r!(a), imm, u32::rotate_right),

                    // i64 binary
                    Instr::I64Eq { dst, a, b } => bin64!(dst, r!(a), r!(b), |x, y| (x == y) as u64),
                    Instr::I64Ne { dst, a, b } => bin64!(dst, r!(a), r!(b), |x, y| (x != y) as u64),
                    Instr::I64LtS { dst, a, b } => bin64!(dst, r!(a), r!(b), |x: u64, y: u64| ((x
                        as i64)
                        < (y as i64))
                        as u64),
                    Instr::I64LtU { dst, a, b } => {
                        bin64!(dst, r!(a), r!(b), |x: u64, y: u64| (x < y) as u64)
                    }
                    Instr::I64GtS { dst, a, b } => bin64!(dst, r!(a), r!(b), |x: u64, y: u64| ((x
                        as i64)
                        > (y as i64))
                        as u64),
                    Instr::I64GtU { dst, a, b } => {
                        bin64!(dst, r!(a), r!(b), |x: u64, y: u64| (x > y) as u64)
                    }
                    Instr::I64LeS { dst, a, b } => bin64!(dst, r!(a), r!(b), |x: u64, y: u64| ((x
                        as i64)
                        <= (y as i64))
                        as u64),
                    Instr::I64LeU { dst, a, b } => {
                        bin64!(dst, r!(a), r!(b), |x: u64, y: u64| (x <= y) as u64)
                    }
                    Instr::I64GeS { dst, a, b } => bin64!(dst, r!(a), r!(b), |x: u64, y: u64| ((x
                        as i64)
                        >= (y as i64))
                        as u64),
                    Instr::I64GeU { dst, a, b } => {
                        bin64!(dst, r!(a), r!(b), |x: u64, y: u64| (x >= y) as u64)
                    }
                    Instr::I64Add { dst, a, b } => bin64!(dst, r!(a), r!(b), u64::wrapping_add),
                    Instr::I64Sub { dst, a, b } => bin64!(dst, r!(a), r!(b), u64::wrapping_sub),
                    Instr::I64Mul { dst, a, b } => bin64!(dst, r!(a), r!(b), u64::wrapping_mul),
                    Instr::I64DivS { dst, a, b } => tbin64!(dst, r!(a), r!(b), div_s64),
                    Instr::I64DivU { dst, a, b } => tbin64!(dst, r!(a), r!(b), div_u64),
                    Instr::I64RemS { dst, a, b } => tbin64!(dst, r!(a), r!(b), rem_s64),
                    Instr::I64RemU { dst, a, b } => tbin64!(dst, r!(a), r!(b), rem_u64),
                    Instr::I64And { dst, a, b } => bin64!(dst, r!(a), r!(b), |x, y| x & y),
                    Instr::I64Or { dst, a, b } => bin64!(dst, r!(a), r!(b), |x, y| x | y),
                    Instr::I64Xor { dst, a, b } => bin64!(dst, r!(a), r!(b), |x, y| x ^ y),
                    Instr::I64Shl { dst, a, b } => {
                        bin64!(dst, r!(a), r!(b), |x: u64, y: u64| x.wrapping_shl(y as u32))
                    }
                    Instr::I64ShrS { dst, a, b } => bin64!(dst, r!(a), r!(b), |x: u64, y: u64| (x
                        as i64)
                        .wrapping_shr(y as u32)),
                    Instr::I64ShrU { dst, a, b } => {
                        bin64!(dst, r!(a), r!(b), |x: u64, y: u64| x.wrapping_shr(y as u32))
                    }
                    Instr::I64Rotl { dst, a, b } => bin64!(dst, r!(a), r!(b), |x: u64, y: u64| x
                        .rotate_left((y & 63) as u32)),
                    Instr::I64Rotr { dst, a, b } => bin64!(dst, r!(a), r!(b), |x: u64, y: u64| x
                        .rotate_right((y & 63) as u32)),
                    Instr::I64EqImm { dst, a, imm } => {
                        bin64!(dst, r!(a), imm, |x, y| (x == y) as u64)
                    }
                    Instr::I64NeImm { dst, a, imm } => {
                        bin64!(dst, r!(a), imm, |x, y| (x != y) as u64)
                    }
                    Instr::I64LtSImm { dst, a, imm } => {
                        bin64!(dst, r!(a), imm, |x: u64, y: u64| ((x as i64) < (y as i64))
                            as u64)
                    }
                    Instr::I64LtUImm { dst, a, imm } => {
                        bin64!(dst, r!(a), imm, |x: u64, y: u64| (x < y) as u64)
                    }
                    Instr::I64GtSImm { dst, a, imm } => {
                        bin64!(dst, r!(a), imm, |x: u64, y: u64| ((x as i64) > (y as i64))
                            as u64)
                    }
                    Instr::I64GtUImm { dst, a, imm } => {
                        bin64!(dst, r!(a), imm, |x: u64, y: u64| (x > y) as u64)
                    }
                    Instr::I64LeSImm { dst, a, imm } => {
                        bin64!(dst, r!(a), imm, |x: u64, y: u64| ((x as i64) <= (y as i64))
                            as u64)
                    }
                    Instr::I64LeUImm { dst, a, imm } => {
                        bin64!(dst, r!(a), imm, |x: u64, y: u64| (x <= y) as u64)
                    }
                    Instr::I64GeSImm { dst, a, imm } => {
                        bin64!(dst, r!(a), imm, |x: u64, y: u64| ((x as i64) >= (y as i64))
                            as u64)
                    }
                    Instr::I64GeUImm { dst, a, imm } => {
                        bin64!(dst, r!(a), imm, |x: u64, y: u64| (x >= y) as u64)
                    }
                    Instr::I64AddImm { dst, a, imm } => bin64!(dst, r!(a), imm, u64::wrapping_add),
                    Instr::I64SubImm { dst, a, imm } => bin64!(dst, r!(a), imm, u64::wrapping_sub),
                    Instr::I64MulImm { dst, a, imm } => bin64!(dst, r!(a), imm, u64::wrapping_mul),
                    Instr::I64DivSImm { dst, a, imm } => tbin64!(dst, r!(a), imm, div_s64),
                    Instr::I64DivUImm { dst, a, imm } => tbin64!(dst, r!(a), imm, div_u64),
                    Instr::I64RemSImm { dst, a, imm } => tbin64!(dst, r!(a), imm, rem_s64),
                    Instr::I64RemUImm { dst, a, imm } => tbin64!(dst, r!(a), imm, rem_u64),
                    Instr::I64AndImm { dst, a, imm } => bin64!(dst, r!(a), imm, |x, y| x & y),
                    Instr::I64OrImm { dst, a, imm } => bin64!(dst, r!(a), imm, |x, y| x | y),
                    Instr::I64XorImm { dst, a, imm } => bin64!(dst, r!(a), imm, |x, y| x ^ y),
                    Instr::I64ShlImm { dst, a, imm } => {
                        bin64!(dst, r!(a), imm, |x: u64, y: u64| x.wrapping_shl(y as u32))
                    }
                    Instr::I64ShrSImm { dst, a, imm } => {
                        bin64!(dst, r!(a), imm, |x: u64, y: u64| (x as i64)
                            .wrapping_shr(y as u32))
                    }
                    Instr::I64ShrUImm { dst, a, imm } => {
                        bin64!(dst, r!(a), imm, |x: u64, y: u64| x.wrapping_shr(y as u32))
                    }
                    Instr::I64RotlImm { dst, a, imm } => {
                        bin64!(dst, r!(a), imm, |x: u64, y: u64| x
                            .rotate_left((y & 63) as u32))
                    }
                    Instr::I64RotrImm { dst, a, imm } => {
                        bin64!(dst, r!(a), imm, |x: u64, y: u64| x
                            .rotate_right((y & 63) as u32))
                    }

                    // floats
                    Instr::F32Eq { dst, a, b } => cmpf32!(dst, a, b, |x, y| x == y),
                    Instr::F32Ne { dst, a, b } => cmpf32!(dst, a, b, |x, y| x != y),
                    Instr::F32Lt { dst, a, b } => cmpf32!(dst, a, b, |x, y| x < y),
                    Instr::F32Gt { dst, a, b } => cmpf32!(dst, a, b, |x, y| x > y),
                    Instr::F32Le { dst, a, b } => cmpf32!(dst, a, b, |x, y| x <= y),
                    Instr::F32Ge { dst, a, b } => cmpf32!(dst, a, b, |x, y| x >= y),
                    Instr::F32Add { dst, a, b } => binf32!(dst, a, b, |x, y| x + y),
                    Instr::F32Sub { dst, a, b } => binf32!(dst, a, b, |x, y| x - y),
                    Instr::F32Mul { dst, a, b } => binf32!(dst, a, b, |x, y| x * y),
                    Instr::F32Div { dst, a, b } => binf32!(dst, a, b, |x, y| x / y),
                    Instr::F32Min { dst, a, b } => binf32!(dst, a, b, fmin32),
                    Instr::F32Max { dst, a, b } => binf32!(dst, a, b, fmax32),
                    Instr::F32Copysign { dst, a, b } => binf32!(dst, a, b, f32::copysign),
                    Instr::F64Eq { dst, a, b } => cmpf64!(dst, a, b, |x, y| x == y),
                    Instr::F64Ne { dst, a, b } => cmpf64!(dst, a, b, |x, y| x != y),
                    Instr::F64Lt { dst, a, b } => cmpf64!(dst, a, b, |x, y| x < y),
                    Instr::F64Gt { dst, a, b } => cmpf64!(dst, a, b, |x, y| x > y),
                    Instr::F64Le { dst, a, b } => cmpf64!(dst, a, b, |x, y| x <= y),
                    Instr::F64Ge { dst, a, b } => cmpf64!(dst, a, b, |x, y| x >= y),
                    Instr::F64Add { dst, a, b } => binf64!(dst, a, b, |x, y| x + y),
                    Instr::F64Sub { dst, a, b } => binf64!(dst, a, b, |x, y| x - y),
                    Instr::F64Mul { dst, a, b } => binf64!(dst, a, b, |x, y| x * y),
                    Instr::F64Div { dst, a, b } => binf64!(dst, a, b, |x, y| x / y),
                    Instr::F64Min { dst, a, b } => binf64!(dst, a, b, fmin64),
                    Instr::F64Max { dst, a, b } => binf64!(dst, a, b, fmax64),
                    Instr::F64Copysign { dst, a, b } => binf64!(dst, a, b, f64::copysign),

                    // fused compare-and-branch
                    Instr::BrI32Eq { a, b, target } => br_if!(r!(a) as u32 == r!(b) as u32, target),
                    Instr::BrI32Ne { a, b, target } => br_if!(r!(a) as u32 != r!(b) as u32, target),
                    Instr::BrI32LtS { a, b, target } => {
                        br_if!((r!(a) as i32) < (r!(b) as i32), target)
                    }
                    Instr::BrI32LtU { a, b, target } => {
                        br_if!((r!(a) as u32) < (r!(b) as u32), target)
                    }
                    Instr::BrI32GtS { a, b, target } => {
                        br_if!((r!(a) as i32) > (r!(b) as i32), target)
                    }
                    Instr::BrI32GtU { a, b, target } => {
                        br_if!((r!(a) as u32) > (r!(b) as u32), target)
                    }
                    Instr::BrI32LeS { a, b, target } => {
                        br_if!((r!(a) as i32) <= (r!(b) as i32), target)
                    }
                    Instr::BrI32LeU { a, b, target } => {
                        br_if!((r!(a) as u32) <= (r!(b) as u32), target)
                    }
                    Instr::BrI32GeS { a, b, target } => {
                        br_if!((r!(a) as i32) >= (r!(b) as i32), target)
                    }
                    Instr::BrI32GeU { a, b, target } => {
                        br_if!((r!(a) as u32) >= (r!(b) as u32), target)
                    }
                    Instr::BrI32EqImm { a, imm, target } => br_if!(r!(a) as i32 == imm, target),
                    Instr::BrI32NeImm { a, imm, target } => br_if!(r!(a) as i32 != imm, target),
                    Instr::BrI32LtSImm { a, imm, target } => br_if!((r!(a) as i32) < imm, target),
                    Instr::BrI32LtUImm { a, imm, target } => {
                        br_if!((r!(a) as u32) < imm as u32, target)
                    }
                    Instr::BrI32GtSImm { a, imm, target } => br_if!((r!(a) as i32) > imm, target),
                    Instr::BrI32GtUImm { a, imm, target } => {
                        br_if!((r!(a) as u32) > imm as u32, target)
                    }
                    Instr::BrI32LeSImm { a, imm, target } => br_if!((r!(a) as i32) <= imm, target),
                    Instr::BrI32LeUImm { a, imm, target } => {
                        br_if!((r!(a) as u32) <= imm as u32, target)
                    }
                    Instr::BrI32GeSImm { a, imm, target } => br_if!((r!(a) as i32) >= imm, target),
                    Instr::BrI32GeUImm { a, imm, target } => {
                        br_if!((r!(a) as u32) >= imm as u32, target)
                    }
                    Instr::BrI64Eq { a, b, target } => br_if!(r!(a) == r!(b), target),
                    Instr::BrI64Ne { a, b, target } => br_if!(r!(a) != r!(b), target),
                    Instr::BrI64LtS { a, b, target } => {
                        br_if!((r!(a) as i64) < (r!(b) as i64), target)
                    }
                    Instr::BrI64LtU { a, b, target } => br_if!(r!(a) < r!(b), target),
                    Instr::BrI64GtS { a, b, target } => {
                        br_if!((r!(a) as i64) > (r!(b) as i64), target)
                    }
                    Instr::BrI64GtU { a, b, target } => br_if!(r!(a) > r!(b), target),
                    Instr::BrI64LeS { a, b, target } => {
                        br_if!((r!(a) as i64) <= (r!(b) as i64), target)
                    }
                    Instr::BrI64LeU { a, b, target } => br_if!(r!(a) <= r!(b), target),
                    Instr::BrI64GeS { a, b, target } => {
                        br_if!((r!(a) as i64) >= (r!(b) as i64), target)
                    }
                    Instr::BrI64GeU { a, b, target } => br_if!(r!(a) >= r!(b), target),
                    Instr::BrI64EqImm { a, imm, target } => br_if!(r!(a) as i64 == imm, target),
                    Instr::BrI64NeImm { a, imm, target } => br_if!(r!(a) as i64 != imm, target),
                    Instr::BrI64LtSImm { a, imm, target } => br_if!((r!(a) as i64) < imm, target),
                    Instr::BrI64LtUImm { a, imm, target } => br_if!(r!(a) < imm as u64, target),
                    Instr::BrI64GtSImm { a, imm, target } => br_if!((r!(a) as i64) > imm, target),
                    Instr::BrI64GtUImm { a, imm, target } => br_if!(r!(a) > imm as u64, target),
                    Instr::BrI64LeSImm { a, imm, target } => br_if!((r!(a) as i64) <= imm, target),
                    Instr::BrI64LeUImm { a, imm, target } => br_if!(r!(a) <= imm as u64, target),
                    Instr::BrI64GeSImm { a, imm, target } => br_if!((r!(a) as i64) >= imm, target),
                    Instr::BrI64GeUImm { a, imm, target } => br_if!(r!(a) >= imm as u64, target),
                }
            }
        }
    }
}

fn raw_val(raw: u64, ty: wasmlab_contract::ValType) -> Val {
    match ty {
        // Host functions see function references by their store handle.
        wasmlab_contract::ValType::FuncRef if raw != 0 => {
            // SAFETY: non-null funcref slots hold live FuncRef pointers.
            Val::FuncRef(Some(unsafe { (*(raw as *const FuncRef)).id }))
        }
        _ => raw::to_val(raw, ty),
    }
}

fn div_s32(x: u32, y: u32) -> Result<u32, Trap> {
    let (x, y) = (x as i32, y as i32);
    if y == 0 {
        return Err(Trap::IntegerDivisionByZero);
    }
    x.checked_div(y)
        .map(|v| v as u32)
        .ok_or(Trap::IntegerOverflow)
}
fn div_u32(x: u32, y: u32) -> Result<u32, Trap> {
    x.checked_div(y).ok_or(Trap::IntegerDivisionByZero)
}
fn rem_s32(x: u32, y: u32) -> Result<u32, Trap> {
    if y == 0 {
        return Err(Trap::IntegerDivisionByZero);
    }
    Ok((x as i32).wrapping_rem(y as i32) as u32)
}
fn rem_u32(x: u32, y: u32) -> Result<u32, Trap> {
    x.checked_rem(y).ok_or(Trap::IntegerDivisionByZero)
}
fn div_s64(x: u64, y: u64) -> Result<u64, Trap> {
    let (x, y) = (x as i64, y as i64);
    if y == 0 {
        return Err(Trap::IntegerDivisionByZero);
    }
    x.checked_div(y)
        .map(|v| v as u64)
        .ok_or(Trap::IntegerOverflow)
}
fn div_u64(x: u64, y: u64) -> Result<u64, Trap> {
    x.checked_div(y).ok_or(Trap::IntegerDivisionByZero)
}
fn rem_s64(x: u64, y: u64) -> Result<u64, Trap> {
    if y == 0 {
        return Err(Trap::IntegerDivisionByZero);
    }
    Ok((x as i64).wrapping_rem(y as i64) as u64)
}
fn rem_u64(x: u64, y: u64) -> Result<u64, Trap> {
    x.checked_rem(y).ok_or(Trap::IntegerDivisionByZero)
}

/// wasm `min`: NaN if either is NaN, and -0 < +0.
fn fmin32(x: f32, y: f32) -> f32 {
    if x.is_nan() || y.is_nan() {
        x + y
    } else if x == y {
        f32::from_bits(x.to_bits() | y.to_bits())
    } else if x < y {
        x
    } else {
        y
    }
}
fn fmax32(x: f32, y: f32) -> f32 {
    if x.is_nan() || y.is_nan() {
        x + y
    } else if x == y {
        f32::from_bits(x.to_bits() & y.to_bits())
    } else if x > y {
        x
    } else {
        y
    }
}
fn fmin64(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        x + y
    } else if x == y {
        f64::from_bits(x.to_bits() | y.to_bits())
    } else if x < y {
        x
    } else {
        y
    }
}
fn fmax64(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        x + y
    } else if x == y {
        f64::from_bits(x.to_bits() & y.to_bits())
    } else if x > y {
        x
    } else {
        y
    }
}

/// Trapping float-to-int conversions: NaN is an invalid conversion, a value
/// whose truncation is out of range an overflow.
macro_rules! trunc {
    ($name:ident, $f:ty, $from:expr, $lo:expr, $hi:expr, $to:ty, $out:expr) => {
        fn $name(raw: u64) -> Result<u64, Trap> {
            let x: $f = ($from)(raw);
            if x.is_nan() {
                return Err(Trap::BadConversionToInteger);
            }
            let t = x.trunc();
            if ($lo..$hi).contains(&t) {
                Ok(($out)(t as $to))
            } else {
                Err(Trap::IntegerOverflow)
            }
        }
    };
}
trunc!(
    trunc_f32_i32,
    f32,
    |r: u64| f32::from_bits(r as u32),
    -2147483648.0,
    2147483648.0,
    i32,
    |v: i32| v as u32 as u64
);
trunc!(
    trunc_f32_u32,
    f32,
    |r: u64| f32::from_bits(r as u32),
    0.0,
    4294967296.0,
    u32,
    |v: u32| v as u64
);
trunc!(
    trunc_f64_i32,
    f64,
    f64::from_bits,
    -2147483648.0,
    2147483648.0,
    i32,
    |v: i32| v as u32 as u64
);
trunc!(
    trunc_f64_u32,
    f64,
    f64::from_bits,
    0.0,
    4294967296.0,
    u32,
    |v: u32| v as u64
);
trunc!(
    trunc_f32_i64,
    f32,
    |r: u64| f32::from_bits(r as u32),
    -9223372036854775808.0,
    9223372036854775808.0,
    i64,
    |v: i64| v as u64
);
trunc!(
    trunc_f32_u64,
    f32,
    |r: u64| f32::from_bits(r as u32),
    0.0,
    18446744073709551616.0,
    u64,
    |v: u64| v
);
trunc!(
    trunc_f64_i64,
    f64,
    f64::from_bits,
    -9223372036854775808.0,
    9223372036854775808.0,
    i64,
    |v: i64| v as u64
);
trunc!(
    trunc_f64_u64,
    f64,
    f64::from_bits,
    0.0,
    18446744073709551616.0,
    u64,
    |v: u64| v
);
