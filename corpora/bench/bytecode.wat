;; bytecode: a small stack-machine interpreter, the kind of code that
;; br_table dispatch and unpredictable indirect branches dominate. The
;; interpreted program (below) runs an xorshift generator n times with a
;; data-dependent branch. run(n) = (result << 32) | (instructions executed,
;; low 32 bits).
;;
;; Instructions are 8 bytes: opcode (i32), immediate (i32).
;; Opcodes: 0 HALT, 1 PUSH imm, 2 LOAD reg, 3 STORE reg, 4 ADD, 5 SUB, 6 MUL,
;; 7 XOR, 8 AND, 9 SHL imm, 10 SHR imm (unsigned), 11 DUP, 12 LTU (a < b),
;; 13 JNZ target (pops), 14 JMP target. Registers: r0 = n, r1 = i, r2 = acc,
;; r3 = x.
;;
;; The program:
;;    0  PUSH 0      STORE 1            i = 0
;;    2  PUSH 12345  STORE 3            x = 12345
;;    4  PUSH 0      STORE 2            acc = 0
;;    6  LOAD 3  DUP  SHL 13  XOR  STORE 3         loop: x ^= x << 13
;;   11  LOAD 3  DUP  SHR 17  XOR  STORE 3         x ^= x >> 17
;;   16  LOAD 3  DUP  SHL 5   XOR  STORE 3         x ^= x << 5
;;   21  LOAD 3  PUSH 1  AND  JNZ 29                odd x skips the next line
;;   25  LOAD 2  PUSH 0x5bd1e995  XOR  STORE 2      acc ^= 0x5bd1e995
;;   29  LOAD 2  LOAD 3  LOAD 1  MUL  ADD  STORE 2  acc += x * i
;;   35  LOAD 1  PUSH 1  ADD  DUP  STORE 1          i += 1, leaving i
;;   40  LOAD 0  LTU  JNZ 6                         while i < n
;;   43  LOAD 2  HALT                               result: acc
;;
;; Memory: program at 0, registers at 2048, stack at 4096.
(module
  (memory (export "memory") 1)
  (data (i32.const 0)
    "\01\00\00\00\00\00\00\00\03\00\00\00\01\00\00\00\01\00\00\00\39\30\00\00\03\00\00\00\03\00\00\00"
    "\01\00\00\00\00\00\00\00\03\00\00\00\02\00\00\00\02\00\00\00\03\00\00\00\0b\00\00\00\00\00\00\00"
    "\09\00\00\00\0d\00\00\00\07\00\00\00\00\00\00\00\03\00\00\00\03\00\00\00\02\00\00\00\03\00\00\00"
    "\0b\00\00\00\00\00\00\00\0a\00\00\00\11\00\00\00\07\00\00\00\00\00\00\00\03\00\00\00\03\00\00\00"
    "\02\00\00\00\03\00\00\00\0b\00\00\00\00\00\00\00\09\00\00\00\05\00\00\00\07\00\00\00\00\00\00\00"
    "\03\00\00\00\03\00\00\00\02\00\00\00\03\00\00\00\01\00\00\00\01\00\00\00\08\00\00\00\00\00\00\00"
    "\0d\00\00\00\1d\00\00\00\02\00\00\00\02\00\00\00\01\00\00\00\95\e9\d1\5b\07\00\00\00\00\00\00\00"
    "\03\00\00\00\02\00\00\00\02\00\00\00\02\00\00\00\02\00\00\00\03\00\00\00\02\00\00\00\01\00\00\00"
    "\06\00\00\00\00\00\00\00\04\00\00\00\00\00\00\00\03\00\00\00\02\00\00\00\02\00\00\00\01\00\00\00"
    "\01\00\00\00\01\00\00\00\04\00\00\00\00\00\00\00\0b\00\00\00\00\00\00\00\03\00\00\00\01\00\00\00"
    "\02\00\00\00\00\00\00\00\0c\00\00\00\00\00\00\00\0d\00\00\00\06\00\00\00\02\00\00\00\02\00\00\00"
    "\00\00\00\00\00\00\00\00")

  (func (export "run") (param $n i32) (result i64)
    (local $pc i32) (local $sp i32) (local $op i32) (local $imm i32) (local $a i32) (local $count i64)
    (i32.store (i32.const 2048) (local.get $n))
    (local.set $sp (i32.const 4096))
    (block $exit
      (loop $next
        (local.set $op (i32.load (local.get $pc)))
        (local.set $imm (i32.load offset=4 (local.get $pc)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 8)))
        (local.set $count (i64.add (local.get $count) (i64.const 1)))
        (block $jmp
        (block $jnz
        (block $ltu
        (block $dup
        (block $shr
        (block $shl
        (block $and
        (block $xor
        (block $mul
        (block $sub
        (block $add
        (block $store
        (block $load
        (block $push
        (block $halt
          (br_table $halt $push $load $store $add $sub $mul $xor $and $shl $shr $dup $ltu $jnz $jmp $halt
            (local.get $op)))
        ;; HALT (and unknown opcodes)
        (br $exit))
        ;; PUSH
        (i32.store (local.get $sp) (local.get $imm))
        (local.set $sp (i32.add (local.get $sp) (i32.const 4)))
        (br $next))
        ;; LOAD
        (i32.store (local.get $sp) (i32.load offset=2048 (i32.shl (local.get $imm) (i32.const 2))))
        (local.set $sp (i32.add (local.get $sp) (i32.const 4)))
        (br $next))
        ;; STORE
        (local.set $sp (i32.sub (local.get $sp) (i32.const 4)))
        (i32.store offset=2048 (i32.shl (local.get $imm) (i32.const 2)) (i32.load (local.get $sp)))
        (br $next))
        ;; ADD
        (local.set $sp (i32.sub (local.get $sp) (i32.const 4)))
        (i32.store offset=0 (i32.sub (local.get $sp) (i32.const 4))
          (i32.add (i32.load (i32.sub (local.get $sp) (i32.const 4))) (i32.load (local.get $sp))))
        (br $next))
        ;; SUB
        (local.set $sp (i32.sub (local.get $sp) (i32.const 4)))
        (i32.store (i32.sub (local.get $sp) (i32.const 4))
          (i32.sub (i32.load (i32.sub (local.get $sp) (i32.const 4))) (i32.load (local.get $sp))))
        (br $next))
        ;; MUL
        (local.set $sp (i32.sub (local.get $sp) (i32.const 4)))
        (i32.store (i32.sub (local.get $sp) (i32.const 4))
          (i32.mul (i32.load (i32.sub (local.get $sp) (i32.const 4))) (i32.load (local.get $sp))))
        (br $next))
        ;; XOR
        (local.set $sp (i32.sub (local.get $sp) (i32.const 4)))
        (i32.store (i32.sub (local.get $sp) (i32.const 4))
          (i32.xor (i32.load (i32.sub (local.get $sp) (i32.const 4))) (i32.load (local.get $sp))))
        (br $next))
        ;; AND
        (local.set $sp (i32.sub (local.get $sp) (i32.const 4)))
        (i32.store (i32.sub (local.get $sp) (i32.const 4))
          (i32.and (i32.load (i32.sub (local.get $sp) (i32.const 4))) (i32.load (local.get $sp))))
        (br $next))
        ;; SHL imm
        (local.set $a (i32.sub (local.get $sp) (i32.const 4)))
        (i32.store (local.get $a) (i32.shl (i32.load (local.get $a)) (local.get $imm)))
        (br $next))
        ;; SHR imm
        (local.set $a (i32.sub (local.get $sp) (i32.const 4)))
        (i32.store (local.get $a) (i32.shr_u (i32.load (local.get $a)) (local.get $imm)))
        (br $next))
        ;; DUP
        (i32.store (local.get $sp) (i32.load (i32.sub (local.get $sp) (i32.const 4))))
        (local.set $sp (i32.add (local.get $sp) (i32.const 4)))
        (br $next))
        ;; LTU
        (local.set $sp (i32.sub (local.get $sp) (i32.const 4)))
        (i32.store (i32.sub (local.get $sp) (i32.const 4))
          (i32.lt_u (i32.load (i32.sub (local.get $sp) (i32.const 4))) (i32.load (local.get $sp))))
        (br $next))
        ;; JNZ target
        (local.set $sp (i32.sub (local.get $sp) (i32.const 4)))
        (if (i32.load (local.get $sp))
          (then (local.set $pc (i32.shl (local.get $imm) (i32.const 3)))))
        (br $next))
        ;; JMP target
        (local.set $pc (i32.shl (local.get $imm) (i32.const 3)))
        (br $next)))
    ;; the result is on top of the stack
    (i64.or
      (i64.shl (i64.extend_i32_u (i32.load (i32.sub (local.get $sp) (i32.const 4)))) (i64.const 32))
      (i64.and (local.get $count) (i64.const 0xffffffff)))))
