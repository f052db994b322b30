;; Hand-made regression case (single-instruction edge cases): signed
;; division overflow traps, remainder of MIN by -1 is 0, division by zero
;; traps for every flavour.
(module
  (func (export "i32.div_s") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "i32.rem_s") (param i32 i32) (result i32) local.get 0 local.get 1 i32.rem_s)
  (func (export "i32.div_u") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_u)
  (func (export "i32.rem_u") (param i32 i32) (result i32) local.get 0 local.get 1 i32.rem_u)
  (func (export "i64.div_s") (param i64 i64) (result i64) local.get 0 local.get 1 i64.div_s)
  (func (export "i64.rem_s") (param i64 i64) (result i64) local.get 0 local.get 1 i64.rem_s)
  (func (export "i32.shl") (param i32 i32) (result i32) local.get 0 local.get 1 i32.shl)
  (func (export "i64.rotr") (param i64 i64) (result i64) local.get 0 local.get 1 i64.rotr))
