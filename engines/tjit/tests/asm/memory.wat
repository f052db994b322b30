;; A load and a store: explicit bounds checks against the memory length,
;; then the access at the memory base.
(module (memory 1)
  (func (param i32) (result i32)
    (i32.store offset=4 (local.get 0) (i32.const 42))
    (i32.load offset=4 (local.get 0))))
