;; memops: bulk memory. Each of n rounds fills a 1 MiB region with
;; memory.fill, copies it to a second region at a shifting source offset,
;; makes an overlapping (memmove) copy within that region, and samples the
;; result. run(n) = a hash of all samples.
(module
  (memory (export "memory") 64)
  (func (export "run") (param $n i32) (result i64)
    (local $r i32) (local $k i32) (local $h i64)
    (local.set $h (i64.const 0x243f6a8885a308d3))
    (block $done
      (loop $round
        (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
        ;; region A = [0, 1 MiB): fill, then stamp one word so the copies carry
        ;; something that depends on the round
        (memory.fill (i32.const 0)
          (i32.add (i32.mul (local.get $r) (i32.const 31)) (i32.const 7))
          (i32.const 0x100000))
        (i64.store
          (i32.and (i32.mul (local.get $r) (i32.const 4104)) (i32.const 0xffff8))
          (i64.mul (i64.extend_i32_u (i32.add (local.get $r) (i32.const 1)))
                   (i64.const 0x9e3779b97f4a7c15)))
        ;; region B = [1 MiB, 2 MiB): copy from A at a shifting offset
        (memory.copy (i32.const 0x100000)
          (i32.and (i32.mul (local.get $r) (i32.const 4099)) (i32.const 0xffff))
          (i32.const 0xf0000))
        ;; overlapping forward copy within B
        (memory.copy (i32.const 0x100003) (i32.const 0x100000) (i32.const 0xe0000))
        ;; and a backward one into region C = [2 MiB, 3 MiB)
        (memory.copy (i32.const 0x200000) (i32.const 0x100005) (i32.const 0xe0000))
        (memory.copy (i32.const 0x200000) (i32.const 0x200011) (i32.const 0xd0000))
        ;; sample every 4 KiB of B and C
        (local.set $k (i32.const 0))
        (block $sampled
          (loop $sample
            (br_if $sampled (i32.ge_u (local.get $k) (i32.const 0xd0000)))
            (local.set $h
              (i64.mul
                (i64.xor (local.get $h)
                  (i64.add (i64.load offset=0x100000 (local.get $k))
                           (i64.load offset=0x200000 (local.get $k))))
                (i64.const 0x100000001b3)))
            (local.set $k (i32.add (local.get $k) (i32.const 4096)))
            (br $sample)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $round)))
    (local.get $h)))
