;; dispatch: call_indirect through a table of eight small functions, the
;; target drawn from an xorshift32 generator, so it is unpredictable.
;; run(n) = the accumulator after n calls.
(module
  (type $op (func (param i64 i32) (result i64)))
  (table 8 8 funcref)
  (elem (i32.const 0) $add $mix $rot $mul $sub $fold $affine $rotv)
  (func $add (type $op) (i64.add (local.get 0) (i64.extend_i32_u (local.get 1))))
  (func $mix (type $op)
    (i64.xor (local.get 0) (i64.mul (i64.extend_i32_u (local.get 1)) (i64.const 0x9e3779b9))))
  (func $rot (type $op) (i64.add (i64.rotl (local.get 0) (i64.const 7)) (i64.const 1)))
  (func $mul (type $op) (i64.add (i64.mul (local.get 0) (i64.const 31)) (i64.extend_i32_u (local.get 1))))
  (func $sub (type $op) (i64.sub (local.get 0) (i64.extend_i32_u (i32.shl (local.get 1) (i32.const 3)))))
  (func $fold (type $op) (i64.xor (local.get 0) (i64.shr_u (local.get 0) (i64.const 13))))
  (func $affine (type $op) (i64.mul (i64.add (local.get 0) (i64.const 0x632be5ab)) (i64.const 3)))
  (func $rotv (type $op) (i64.rotr (local.get 0) (i64.extend_i32_u (local.get 1))))
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $x i32) (local $acc i64)
    (local.set $acc (i64.const 0x0123456789abcdef))
    (local.set $x (i32.const 2463534242))
    (block $done
      (loop $call
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
        (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
        (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
        (local.set $acc
          (call_indirect (type $op)
            (local.get $acc) (local.get $x)
            (i32.and (i32.shr_u (local.get $x) (i32.const 7)) (i32.const 7))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $call)))
    (local.get $acc)))
