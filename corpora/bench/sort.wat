;; sort: quicksort (Hoare partition, middle pivot, insertion sort below 16
;; elements) of n pseudo-random i32 (xorshift32). Branchy, unpredictable
;; comparisons, recursion. run(n) = a hash of the sorted array, or -1 if
;; the result is not sorted.
;; Memory: the array at 0, grown to fit.
(module
  (memory (export "memory") 1)

  (func $insertion (param $lo i32) (param $hi i32)
    (local $k i32) (local $m i32) (local $v i32)
    (local.set $k (i32.add (local.get $lo) (i32.const 1)))
    (block $done
      (loop $each
        (br_if $done (i32.gt_s (local.get $k) (local.get $hi)))
        (local.set $v (i32.load (i32.shl (local.get $k) (i32.const 2))))
        (local.set $m (i32.sub (local.get $k) (i32.const 1)))
        (block $placed
          (loop $shift
            (br_if $placed (i32.lt_s (local.get $m) (local.get $lo)))
            (br_if $placed (i32.le_s (i32.load (i32.shl (local.get $m) (i32.const 2))) (local.get $v)))
            (i32.store (i32.shl (i32.add (local.get $m) (i32.const 1)) (i32.const 2))
              (i32.load (i32.shl (local.get $m) (i32.const 2))))
            (local.set $m (i32.sub (local.get $m) (i32.const 1)))
            (br $shift)))
        ;; m may be lo - 1 = -1: index m + 1, not address m*4 + 4 (which
        ;; would be out of bounds, effective addresses do not wrap)
        (i32.store (i32.shl (i32.add (local.get $m) (i32.const 1)) (i32.const 2)) (local.get $v))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $each))))

  ;; sorts a[lo..=hi]: recurses into the smaller part, loops on the larger
  (func $quicksort (param $lo i32) (param $hi i32)
    (local $pivot i32) (local $i i32) (local $j i32) (local $t i32)
    (block $small
      (loop $partition
        (br_if $small (i32.lt_s (i32.sub (local.get $hi) (local.get $lo)) (i32.const 16)))
        (local.set $pivot
          (i32.load (i32.shl (i32.shr_u (i32.add (local.get $lo) (local.get $hi)) (i32.const 1)) (i32.const 2))))
        (local.set $i (i32.sub (local.get $lo) (i32.const 1)))
        (local.set $j (i32.add (local.get $hi) (i32.const 1)))
        (block $met
          (loop $scan
            (loop $up
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $up (i32.lt_s (i32.load (i32.shl (local.get $i) (i32.const 2))) (local.get $pivot))))
            (loop $down
              (local.set $j (i32.sub (local.get $j) (i32.const 1)))
              (br_if $down (i32.gt_s (i32.load (i32.shl (local.get $j) (i32.const 2))) (local.get $pivot))))
            (br_if $met (i32.ge_s (local.get $i) (local.get $j)))
            (local.set $t (i32.load (i32.shl (local.get $i) (i32.const 2))))
            (i32.store (i32.shl (local.get $i) (i32.const 2)) (i32.load (i32.shl (local.get $j) (i32.const 2))))
            (i32.store (i32.shl (local.get $j) (i32.const 2)) (local.get $t))
            (br $scan)))
        ;; parts: [lo, j] and [j + 1, hi]
        (if (i32.lt_s (i32.sub (local.get $j) (local.get $lo)) (i32.sub (local.get $hi) (local.get $j)))
          (then
            (call $quicksort (local.get $lo) (local.get $j))
            (local.set $lo (i32.add (local.get $j) (i32.const 1))))
          (else
            (call $quicksort (i32.add (local.get $j) (i32.const 1)) (local.get $hi))
            (local.set $hi (local.get $j))))
        (br $partition)))
    (call $insertion (local.get $lo) (local.get $hi)))

  (func (export "run") (param $n i32) (result i64)
    (local $need i32) (local $i i32) (local $x i32) (local $h i64)
    (local.set $need (i32.shr_u (i32.add (i32.shl (local.get $n) (i32.const 2)) (i32.const 65535)) (i32.const 16)))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $need) (memory.size))) (i32.const -1))
          (then unreachable))))
    (local.set $x (i32.const 2463534242))
    (block $gen_done
      (loop $gen
        (br_if $gen_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
        (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
        (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
        (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $x))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $gen)))
    (call $quicksort (i32.const 0) (i32.sub (local.get $n) (i32.const 1)))
    (local.set $h (i64.const 0xcbf29ce484222325))
    (local.set $i (i32.const 0))
    (block $done
      (loop $check
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.gt_u (local.get $i) (i32.const 0))
          (then
            (if (i32.gt_s (i32.load (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 2)))
                          (i32.load (i32.shl (local.get $i) (i32.const 2))))
              (then (return (i64.const -1))))))
        (local.set $h (i64.mul (i64.xor (local.get $h) (i64.extend_i32_s (i32.load (i32.shl (local.get $i) (i32.const 2)))))
                               (i64.const 0x100000001b3)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $check)))
    (local.get $h)))
