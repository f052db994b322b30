;; mandelbrot: escape-time iteration counts (at most 64) over an n x n grid
;; covering [-2, 1] x [-1.5, 1.5]. Floating point with an unpredictable
;; loop exit. run(n) = a hash of all iteration counts.
(module
  (func (export "run") (param $n i32) (result i64)
    (local $px i32) (local $py i32) (local $it i32)
    (local $cr f64) (local $ci f64) (local $zr f64) (local $zi f64) (local $zr2 f64) (local $zi2 f64)
    (local $scale f64) (local $h i64)
    (local.set $scale (f64.div (f64.const 3) (f64.convert_i32_u (local.get $n))))
    (local.set $h (i64.const 0xcbf29ce484222325))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.ge_u (local.get $py) (local.get $n)))
        (local.set $ci (f64.sub (f64.mul (f64.convert_i32_u (local.get $py)) (local.get $scale)) (f64.const 1.5)))
        (local.set $px (i32.const 0))
        (block $cols_done
          (loop $col
            (br_if $cols_done (i32.ge_u (local.get $px) (local.get $n)))
            (local.set $cr (f64.sub (f64.mul (f64.convert_i32_u (local.get $px)) (local.get $scale)) (f64.const 2)))
            (local.set $zr (f64.const 0)) (local.set $zi (f64.const 0))
            (local.set $zr2 (f64.const 0)) (local.set $zi2 (f64.const 0))
            (local.set $it (i32.const 0))
            (block $escaped
              (loop $iter
                (br_if $escaped (i32.ge_u (local.get $it) (i32.const 64)))
                (br_if $escaped (f64.gt (f64.add (local.get $zr2) (local.get $zi2)) (f64.const 4)))
                (local.set $zi (f64.add (f64.mul (f64.mul (f64.const 2) (local.get $zr)) (local.get $zi)) (local.get $ci)))
                (local.set $zr (f64.add (f64.sub (local.get $zr2) (local.get $zi2)) (local.get $cr)))
                (local.set $zr2 (f64.mul (local.get $zr) (local.get $zr)))
                (local.set $zi2 (f64.mul (local.get $zi) (local.get $zi)))
                (local.set $it (i32.add (local.get $it) (i32.const 1)))
                (br $iter)))
            (local.set $h (i64.mul (i64.xor (local.get $h) (i64.extend_i32_u (local.get $it)))
                                   (i64.const 0x100000001b3)))
            (local.set $px (i32.add (local.get $px) (i32.const 1)))
            (br $col)))
        (local.set $py (i32.add (local.get $py) (i32.const 1)))
        (br $row)))
    (local.get $h)))
