;; Hand-made regression case: float-to-int conversions at the edges of the
;; target range (the first values that must trap), NaN and infinities, and
;; their saturating counterparts.
(module
  (func (export "i32.trunc_f32_s") (param f32) (result i32) local.get 0 i32.trunc_f32_s)
  (func (export "i32.trunc_f64_s") (param f64) (result i32) local.get 0 i32.trunc_f64_s)
  (func (export "i32.trunc_f64_u") (param f64) (result i32) local.get 0 i32.trunc_f64_u)
  (func (export "i64.trunc_f64_s") (param f64) (result i64) local.get 0 i64.trunc_f64_s)
  (func (export "i64.trunc_f32_u") (param f32) (result i64) local.get 0 i64.trunc_f32_u)
  (func (export "i32.trunc_sat_f64_s") (param f64) (result i32) local.get 0 i32.trunc_sat_f64_s)
  (func (export "i64.trunc_sat_f32_u") (param f32) (result i64) local.get 0 i64.trunc_sat_f32_u)
  (func (export "f32.nearest") (param f32) (result f32) local.get 0 f32.nearest)
  (func (export "f64.min") (param f64 f64) (result f64) local.get 0 local.get 1 f64.min))
