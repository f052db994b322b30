;; Register operands and an immediate: both parameters live in machine
;; registers, the constant folds into the add.
(module (func (param i32 i32) (result i32)
  (i32.add (i32.add (local.get 0) (local.get 1)) (i32.const 7))))
