;; i32.add with a constant: one `mov` from the slot and an immediate `add`.
(module (func (param i32) (result i32)
  (i32.add (local.get 0) (i32.const 7))))
