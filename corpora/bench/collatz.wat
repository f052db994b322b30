;; collatz: a tight integer loop with a data-dependent branch. For every
;; start value 1..=n, count the steps of the Collatz sequence down to 1.
;; run(n) = (sum of steps) xor (longest chain << 40).
(module
  (func (export "run") (param $n i32) (result i64)
    (local $i i64) (local $x i64) (local $steps i64) (local $sum i64) (local $max i64)
    (local.set $i (i64.const 1))
    (block $done
      (loop $outer
        (br_if $done (i64.gt_u (local.get $i) (i64.extend_i32_u (local.get $n))))
        (local.set $x (local.get $i))
        (local.set $steps (i64.const 0))
        (block $one
          (loop $step
            (br_if $one (i64.eq (local.get $x) (i64.const 1)))
            (if (i64.eqz (i64.and (local.get $x) (i64.const 1)))
              (then (local.set $x (i64.shr_u (local.get $x) (i64.const 1))))
              (else (local.set $x (i64.add (i64.mul (local.get $x) (i64.const 3)) (i64.const 1)))))
            (local.set $steps (i64.add (local.get $steps) (i64.const 1)))
            (br $step)))
        (local.set $sum (i64.add (local.get $sum) (local.get $steps)))
        (if (i64.gt_u (local.get $steps) (local.get $max))
          (then (local.set $max (local.get $steps))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $outer)))
    (i64.xor (local.get $sum) (i64.shl (local.get $max) (i64.const 40)))))
