;; A load and a store: explicit bounds checks against the memory length.
(module (memory 1)
  (func (param i32) (result i64)
    (i64.store offset=8 (local.get 0) (i64.const 42))
    (i64.load offset=8 (local.get 0))))
