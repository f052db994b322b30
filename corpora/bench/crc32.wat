;; crc32: table-driven CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320)
;; of an n KiB message whose byte i is (13*i + (i >> 5)) mod 256: one table
;; load per byte, a serial dependency chain. run(n) = the CRC.
;; Memory: table at 0 (256 x i32), message at 1024.
(module
  (memory (export "memory") 1)
  (func (export "run") (param $n i32) (result i64)
    (local $len i32) (local $need i32) (local $i i32) (local $k i32) (local $c i32) (local $crc i32)
    (local.set $len (i32.shl (local.get $n) (i32.const 10)))
    (local.set $need (i32.shr_u (i32.add (local.get $len) (i32.const 66559)) (i32.const 16)))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $need) (memory.size))) (i32.const -1))
          (then unreachable))))
    ;; the table
    (local.set $i (i32.const 0))
    (loop $entry
      (local.set $c (local.get $i))
      (local.set $k (i32.const 0))
      (loop $bit
        (local.set $c
          (if (result i32) (i32.and (local.get $c) (i32.const 1))
            (then (i32.xor (i32.shr_u (local.get $c) (i32.const 1)) (i32.const 0xedb88320)))
            (else (i32.shr_u (local.get $c) (i32.const 1)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $bit (i32.lt_u (local.get $k) (i32.const 8))))
      (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $c))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $entry (i32.lt_u (local.get $i) (i32.const 256))))
    ;; the message
    (local.set $i (i32.const 0))
    (block $gen_done
      (loop $gen
        (br_if $gen_done (i32.ge_u (local.get $i) (local.get $len)))
        (i32.store8 offset=1024 (local.get $i)
          (i32.add (i32.mul (local.get $i) (i32.const 13)) (i32.shr_u (local.get $i) (i32.const 5))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $gen)))
    ;; the checksum
    (local.set $crc (i32.const -1))
    (local.set $i (i32.const 0))
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $crc
          (i32.xor
            (i32.load
              (i32.shl
                (i32.and (i32.xor (local.get $crc) (i32.load8_u offset=1024 (local.get $i))) (i32.const 255))
                (i32.const 2)))
            (i32.shr_u (local.get $crc) (i32.const 8))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $byte)))
    (i64.extend_i32_u (i32.xor (local.get $crc) (i32.const -1)))))
