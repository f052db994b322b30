;; Found by a 10-minute campaign (shrunk): regjit compiled i32.wrap_i64 with
;; source and destination in one machine register as no instruction, leaving
;; bits 32..64 set; i64.extend_i32_u, free in the IR, then saw them.
(module
  (type (;0;) (func (param f32 f32) (result i64 i64)))
  (global (;0;) (mut i64) i64.const 0)
  (global (;1;) (mut i64) i64.const 0)
  (global (;2;) (mut i32) i32.const 0)
  (global (;3;) (mut i32) i32.const 0)
  (export "" (func 0))
  (func (;0;) (type 0) (param f32 f32) (result i64 i64)
    (local f32 f32 f32 f32 f32)
    global.get 3
    if ;; label = @1
      unreachable
    end
    global.get 3
    global.set 3
    i32.const -19089420
    i64.extend_i32_s
    i32.wrap_i64
    i64.extend_i32_u
    local.get 0
    local.get 1
    local.get 0
    f64.const -0x1p-52 (;=-0.0000000000000002220446049250313;)
    loop ;; label = @1
      i32.const 0
      if ;; label = @2
        unreachable
      end
      global.get 3
      global.set 3
      loop (result funcref) ;; label = @2
        i32.const 0
        if ;; label = @3
          unreachable
        end
        global.get 3
        global.set 3
        i32.const 0
        if (result i64) ;; label = @3
          i64.const 1
        else
          i64.const 0
        end
        global.get 0
        i64.xor
        global.set 0
        ref.null func
      end
      drop
    end
    i64.reinterpret_f64
    global.get 1
    i64.xor
    global.set 1
    i32.reinterpret_f32
    global.get 2
    i32.xor
    global.set 2
    i32.reinterpret_f32
    i32.const 1
    i32.xor
    global.set 2
    i32.reinterpret_f32
    global.get 2
    i32.xor
    global.set 2
    i64.const 1
  )
)
