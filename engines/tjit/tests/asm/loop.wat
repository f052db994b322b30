;; A counting loop: the compare feeding `br_if` fuses into the conditional
;; branch (no boolean is materialised), and the back-edge is a plain `jmp`.
(module (func (param i32) (result i32) (local i32)
  (block $out (loop $l
    (br_if $out (i32.ge_u (local.get 1) (local.get 0)))
    (local.set 1 (i32.add (local.get 1) (i32.const 1)))
    (br $l)))
  (local.get 1)))
