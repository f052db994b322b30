;; matmul: C = A x B for n x n f64 matrices (i-k-j order), A[i][j] =
;; (i - j) / n + 0.5 and B[i][j] = ((3i + 5j) mod 11) / 4. Floating point
;; and streaming memory access. run(n) = the bits of the sum of C.
;; Memory: A at 0, B at 8n^2, C at 16n^2 (grown to fit).
(module
  (memory (export "memory") 1)
  (func (export "run") (param $n i32) (result i64)
    (local $nn i32) (local $need i32) (local $i i32) (local $j i32) (local $k i32)
    (local $a i32) (local $b i32) (local $c i32) (local $aik f64) (local $fn f64) (local $sum f64)
    (local.set $nn (i32.mul (local.get $n) (local.get $n)))
    (local.set $b (i32.shl (local.get $nn) (i32.const 3)))
    (local.set $c (i32.shl (local.get $nn) (i32.const 4)))
    (local.set $need (i32.shr_u (i32.add (i32.mul (local.get $nn) (i32.const 24)) (i32.const 65535)) (i32.const 16)))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $need) (memory.size))) (i32.const -1))
          (then unreachable))))
    (local.set $fn (f64.convert_i32_u (local.get $n)))
    ;; fill A and B, zero C
    (local.set $i (i32.const 0))
    (block $fill_done
      (loop $fill_i
        (br_if $fill_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $row_done
          (loop $fill_j
            (br_if $row_done (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $k (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 3)))
            (f64.store (local.get $k)
              (f64.add (f64.div (f64.convert_i32_s (i32.sub (local.get $i) (local.get $j))) (local.get $fn))
                       (f64.const 0.5)))
            (f64.store (i32.add (local.get $b) (local.get $k))
              (f64.mul (f64.convert_i32_u
                         (i32.rem_u (i32.add (i32.mul (local.get $i) (i32.const 3)) (i32.mul (local.get $j) (i32.const 5)))
                                    (i32.const 11)))
                       (f64.const 0.25)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $fill_j)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill_i)))
    (memory.fill (local.get $c) (i32.const 0) (local.get $b))
    ;; multiply
    (local.set $i (i32.const 0))
    (block $mul_done
      (loop $mul_i
        (br_if $mul_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $k (i32.const 0))
        (block $k_done
          (loop $mul_k
            (br_if $k_done (i32.ge_u (local.get $k) (local.get $n)))
            (local.set $aik (f64.load (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $k)) (i32.const 3))))
            ;; $a walks row i of C, $j walks row k of B
            (local.set $a (i32.add (local.get $c) (i32.shl (i32.mul (local.get $i) (local.get $n)) (i32.const 3))))
            (local.set $j (i32.add (local.get $b) (i32.shl (i32.mul (local.get $k) (local.get $n)) (i32.const 3))))
            (local.set $nn (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 3))))
            (block $j_done
              (loop $mul_j
                (br_if $j_done (i32.ge_u (local.get $a) (local.get $nn)))
                (f64.store (local.get $a)
                  (f64.add (f64.load (local.get $a)) (f64.mul (local.get $aik) (f64.load (local.get $j)))))
                (local.set $a (i32.add (local.get $a) (i32.const 8)))
                (local.set $j (i32.add (local.get $j) (i32.const 8)))
                (br $mul_j)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $mul_k)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $mul_i)))
    ;; sum C in order
    (local.set $a (local.get $c))
    (local.set $nn (i32.add (local.get $c) (local.get $b)))
    (block $sum_done
      (loop $sum_loop
        (br_if $sum_done (i32.ge_u (local.get $a) (local.get $nn)))
        (local.set $sum (f64.add (local.get $sum) (f64.load (local.get $a))))
        (local.set $a (i32.add (local.get $a) (i32.const 8)))
        (br $sum_loop)))
    (i64.reinterpret_f64 (local.get $sum))))
