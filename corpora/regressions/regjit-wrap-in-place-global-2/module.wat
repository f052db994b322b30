;; Found by a 10-minute campaign (shrunk): regjit compiled i32.wrap_i64 with
;; source and destination in one machine register as no instruction, leaving
;; bits 32..64 set; i64.extend_i32_u, free in the IR, then saw them.
(module
  (type (;0;) (func (param f64 f64) (result externref)))
  (global (;0;) i64 i64.const -31627049098622110)
  (global (;1;) (mut i32) i32.const 0)
  (global (;2;) (mut i32) i32.const 0)
  (global (;3;) (mut i64) i64.const 0)
  (global (;4;) (mut i64) i64.const 0)
  (global (;5;) (mut i32) i32.const 0)
  (export "2" (func 0))
  (export "" (global 3))
  (func (;0;) (type 0) (param f64 f64) (result externref)
    (local externref funcref f32 f64 f64 f32 f32)
    global.get 5
    if ;; label = @1
      unreachable
    end
    i32.const 1
    global.set 5
    local.get 2
    f64.const -0x1.d0caef7b311ecp-606 (;=-0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000006836628424771404;)
    i32.const 1
    if ;; label = @1
    end
    i32.const 0
    if ;; label = @1
    end
    i32.const 0
    if ;; label = @1
    end
    i64.const 0
    global.get 0
    i32.wrap_i64
    i64.extend_i32_u
    loop (result i32) ;; label = @1
      i32.const 0
      if ;; label = @2
        unreachable
      end
      global.get 5
      global.set 5
      global.get 3
      global.set 3
      global.get 2
      global.set 2
      global.get 4
      global.set 4
      global.get 3
      global.set 3
      i32.const 1
    end
    global.get 1
    i32.xor
    global.set 1
    i64.const 1
    i64.xor
    global.set 3
    global.get 3
    i64.xor
    global.set 3
    i64.reinterpret_f64
    i64.const 0
    i64.xor
    global.set 4
  )
)
