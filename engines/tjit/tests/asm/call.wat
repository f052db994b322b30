;; A call between defined functions: arguments to the callee's frame, the
;; call through the runtime helper (shown by name), the result read back.
(module
  (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func (param i32) (result i32) (i32.add (call $sq (local.get 0)) (i32.const 1))))
