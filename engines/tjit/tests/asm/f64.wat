;; An f64 operation: operands through an SSE register.
(module (func (param f64 f64) (result f64)
  (f64.mul (local.get 0) (local.get 1))))
