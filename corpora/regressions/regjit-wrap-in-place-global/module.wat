;; Found by a 10-minute campaign (shrunk): regjit compiled i32.wrap_i64 with
;; source and destination in one machine register as no instruction, leaving
;; bits 32..64 set; i64.extend_i32_u, free in the IR, then saw them.
(module
  (type (;0;) (func (param f32)))
  (global (;0;) (mut i32) i32.const 0)
  (global (;1;) (mut i32) i32.const 0)
  (global (;2;) (mut i64) i64.const 0)
  (global (;3;) (mut i64) i64.const 0)
  (global (;4;) (mut i32) i32.const 0)
  (export "" (func 0))
  (export "\u{8}" (global 3))
  (func (;0;) (type 0) (param f32)
    (local f64 f32 f32 f64 f64)
    i32.const 0
    if ;; label = @1
      unreachable
    end
    global.get 4
    global.set 4
    f64.const 0x1.ffffffff8p-1041 (;=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000084879831634;)
    f64.const 0x1.00589fa5e444bp-173 (;=0.00000000000000000000000000000000000000000000000000008363684565455073;)
    i64.const 1
    i32.const 1
    i64.const 0
    block ;; label = @1
      f32.const 0x1.abb35ap+55 (;=60193507000000000;)
      call 1
      i32.const 0
      br_if 1
    end
    i64.ctz
    local.get 2
    block (result f32) ;; label = @1
      f32.const -0x1.cf9164p-90 (;=-0.0000000000000000000000000014627625;)
      f64.const nan (;=NaN;)
      f64.neg
      i64.reinterpret_f64
      i32.wrap_i64
      i64.extend_i32_u
      i64.ctz
      i64.extend16_s
      i64.ctz
      f64.reinterpret_i64
      loop (result i64) ;; label = @2
        i32.const 0
        if ;; label = @3
          unreachable
        end
        i32.const 1
        global.set 4
        loop ;; label = @3
          i32.const 0
          if ;; label = @4
            unreachable
          end
          global.get 4
          global.set 4
        end
        i64.const 0
      end
      global.get 2
      i64.xor
      global.set 2
      i64.reinterpret_f64
      global.get 3
      i64.xor
      global.set 3
    end
    drop
    i32.reinterpret_f32
    global.get 1
    i32.xor
    global.set 1
    global.get 2
    i64.xor
    global.set 2
    i32.const 1
    i32.xor
    global.set 0
    global.get 2
    i64.xor
    global.set 2
    i64.reinterpret_f64
    global.get 3
    i64.xor
    global.set 3
    i64.reinterpret_f64
    global.get 3
    i64.xor
    global.set 3
  )
  (func (;1;) (type 0) (param f32))
)
