;; Edge cases of regjit's register allocation, each once a JIT bug:
;; - a call with no arguments whose base is the frame's end (the register
;;   index names no register: the float classification indexed past the
;;   frame);
;; - an f32 made by demotion kept in an SSE register, then passed as an
;;   argument, returned and stored (bits 32..64 of its slot must be zero);
;; - floats and integers sharing one operand-stack register.
(module
  (memory (export "mem") 1)
  (global $g (export "g") (mut f32) (f32.const 0))
  (func $two (result f64) (f64.const 2.5))
  (func $half (param f32) (result f32) (f32.mul (local.get 0) (f32.const 0.5)))
  (func (export "call_at_frame_end") (result f64)
    (f64.mul (call $two) (call $two)))
  (func (export "demote") (param f64) (result f32)
    (local $x f32)
    (local.set $x (f32.demote_f64 (local.get 0)))
    (f32.store (i32.const 8) (local.get $x))
    (global.set $g (local.get $x))
    (call $half (f32.add (local.get $x) (local.get $x))))
  (func (export "mixed") (param f64 i32) (result i32)
    (i32.add
      (i32.trunc_sat_f64_s (f64.add (local.get 0) (local.get 0)))
      (i32.mul (local.get 1) (f64.gt (local.get 0) (f64.const 1)))))
)
