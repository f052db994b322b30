;; A counted loop: fused compare-and-branch, the back-edge counter.
(module (func (param i32) (result i32) (local i32)
  (block $out (loop $l
    (br_if $out (i32.eqz (local.get 0)))
    (local.set 1 (i32.add (local.get 1) (local.get 0)))
    (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
    (br $l)))
  (local.get 1)))
