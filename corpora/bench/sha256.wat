;; sha256: SHA-256 (FIPS 180-4) of an n KiB message whose byte i is
;; (7*i + (i >> 8)) mod 256. Integer hashing: rotates, xors, adds, big-endian
;; loads. run(n) = the first 8 bytes of the digest, big-endian.
;; Memory: K table at 0, message schedule W at 256, message at 1024.
(module
  (memory (export "memory") 1)

  (func $init_k
    (i32.store offset=0 (i32.const 0) (i32.const 0x428a2f98)) (i32.store offset=4 (i32.const 0) (i32.const 0x71374491))
    (i32.store offset=8 (i32.const 0) (i32.const 0xb5c0fbcf)) (i32.store offset=12 (i32.const 0) (i32.const 0xe9b5dba5))
    (i32.store offset=16 (i32.const 0) (i32.const 0x3956c25b)) (i32.store offset=20 (i32.const 0) (i32.const 0x59f111f1))
    (i32.store offset=24 (i32.const 0) (i32.const 0x923f82a4)) (i32.store offset=28 (i32.const 0) (i32.const 0xab1c5ed5))
    (i32.store offset=32 (i32.const 0) (i32.const 0xd807aa98)) (i32.store offset=36 (i32.const 0) (i32.const 0x12835b01))
    (i32.store offset=40 (i32.const 0) (i32.const 0x243185be)) (i32.store offset=44 (i32.const 0) (i32.const 0x550c7dc3))
    (i32.store offset=48 (i32.const 0) (i32.const 0x72be5d74)) (i32.store offset=52 (i32.const 0) (i32.const 0x80deb1fe))
    (i32.store offset=56 (i32.const 0) (i32.const 0x9bdc06a7)) (i32.store offset=60 (i32.const 0) (i32.const 0xc19bf174))
    (i32.store offset=64 (i32.const 0) (i32.const 0xe49b69c1)) (i32.store offset=68 (i32.const 0) (i32.const 0xefbe4786))
    (i32.store offset=72 (i32.const 0) (i32.const 0x0fc19dc6)) (i32.store offset=76 (i32.const 0) (i32.const 0x240ca1cc))
    (i32.store offset=80 (i32.const 0) (i32.const 0x2de92c6f)) (i32.store offset=84 (i32.const 0) (i32.const 0x4a7484aa))
    (i32.store offset=88 (i32.const 0) (i32.const 0x5cb0a9dc)) (i32.store offset=92 (i32.const 0) (i32.const 0x76f988da))
    (i32.store offset=96 (i32.const 0) (i32.const 0x983e5152)) (i32.store offset=100 (i32.const 0) (i32.const 0xa831c66d))
    (i32.store offset=104 (i32.const 0) (i32.const 0xb00327c8)) (i32.store offset=108 (i32.const 0) (i32.const 0xbf597fc7))
    (i32.store offset=112 (i32.const 0) (i32.const 0xc6e00bf3)) (i32.store offset=116 (i32.const 0) (i32.const 0xd5a79147))
    (i32.store offset=120 (i32.const 0) (i32.const 0x06ca6351)) (i32.store offset=124 (i32.const 0) (i32.const 0x14292967))
    (i32.store offset=128 (i32.const 0) (i32.const 0x27b70a85)) (i32.store offset=132 (i32.const 0) (i32.const 0x2e1b2138))
    (i32.store offset=136 (i32.const 0) (i32.const 0x4d2c6dfc)) (i32.store offset=140 (i32.const 0) (i32.const 0x53380d13))
    (i32.store offset=144 (i32.const 0) (i32.const 0x650a7354)) (i32.store offset=148 (i32.const 0) (i32.const 0x766a0abb))
    (i32.store offset=152 (i32.const 0) (i32.const 0x81c2c92e)) (i32.store offset=156 (i32.const 0) (i32.const 0x92722c85))
    (i32.store offset=160 (i32.const 0) (i32.const 0xa2bfe8a1)) (i32.store offset=164 (i32.const 0) (i32.const 0xa81a664b))
    (i32.store offset=168 (i32.const 0) (i32.const 0xc24b8b70)) (i32.store offset=172 (i32.const 0) (i32.const 0xc76c51a3))
    (i32.store offset=176 (i32.const 0) (i32.const 0xd192e819)) (i32.store offset=180 (i32.const 0) (i32.const 0xd6990624))
    (i32.store offset=184 (i32.const 0) (i32.const 0xf40e3585)) (i32.store offset=188 (i32.const 0) (i32.const 0x106aa070))
    (i32.store offset=192 (i32.const 0) (i32.const 0x19a4c116)) (i32.store offset=196 (i32.const 0) (i32.const 0x1e376c08))
    (i32.store offset=200 (i32.const 0) (i32.const 0x2748774c)) (i32.store offset=204 (i32.const 0) (i32.const 0x34b0bcb5))
    (i32.store offset=208 (i32.const 0) (i32.const 0x391c0cb3)) (i32.store offset=212 (i32.const 0) (i32.const 0x4ed8aa4a))
    (i32.store offset=216 (i32.const 0) (i32.const 0x5b9cca4f)) (i32.store offset=220 (i32.const 0) (i32.const 0x682e6ff3))
    (i32.store offset=224 (i32.const 0) (i32.const 0x748f82ee)) (i32.store offset=228 (i32.const 0) (i32.const 0x78a5636f))
    (i32.store offset=232 (i32.const 0) (i32.const 0x84c87814)) (i32.store offset=236 (i32.const 0) (i32.const 0x8cc70208))
    (i32.store offset=240 (i32.const 0) (i32.const 0x90befffa)) (i32.store offset=244 (i32.const 0) (i32.const 0xa4506ceb))
    (i32.store offset=248 (i32.const 0) (i32.const 0xbef9a3f7)) (i32.store offset=252 (i32.const 0) (i32.const 0xc67178f2)))

  ;; big-endian load of a 32-bit word
  (func $load_be (param $p i32) (result i32)
    (local $x i32)
    (local.set $x (i32.load (local.get $p)))
    (i32.or
      (i32.and (i32.rotl (local.get $x) (i32.const 8)) (i32.const 0x00ff00ff))
      (i32.and (i32.rotr (local.get $x) (i32.const 8)) (i32.const 0xff00ff00))))

  (func (export "run") (param $n i32) (result i64)
    (local $len i32) (local $total i32) (local $need i32) (local $i i32) (local $p i32) (local $t i32)
    (local $h0 i32) (local $h1 i32) (local $h2 i32) (local $h3 i32)
    (local $h4 i32) (local $h5 i32) (local $h6 i32) (local $h7 i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32)
    (local $e i32) (local $f i32) (local $g i32) (local $h i32)
    (local $w15 i32) (local $w2 i32) (local $t1 i32) (local $t2 i32)
    (local $bits i64)
    (call $init_k)
    (local.set $len (i32.shl (local.get $n) (i32.const 10)))
    ;; padded length: message, 0x80, zeros, 8-byte bit length, to a multiple of 64
    (local.set $total (i32.and (i32.add (local.get $len) (i32.const 72)) (i32.const -64)))
    (local.set $need (i32.shr_u (i32.add (i32.add (local.get $total) (i32.const 1024)) (i32.const 65535)) (i32.const 16)))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $need) (memory.size))) (i32.const -1))
          (then unreachable))))
    ;; the message
    (local.set $i (i32.const 0))
    (block $gen_done
      (loop $gen
        (br_if $gen_done (i32.ge_u (local.get $i) (local.get $len)))
        (i32.store8 offset=1024 (local.get $i)
          (i32.add (i32.mul (local.get $i) (i32.const 7)) (i32.shr_u (local.get $i) (i32.const 8))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $gen)))
    ;; padding
    (i32.store8 offset=1024 (local.get $len) (i32.const 0x80))
    (memory.fill (i32.add (local.get $len) (i32.const 1025)) (i32.const 0)
      (i32.sub (i32.sub (local.get $total) (local.get $len)) (i32.const 9)))
    (local.set $bits (i64.shl (i64.extend_i32_u (local.get $len)) (i64.const 3)))
    (local.set $i (i32.const 0))
    (loop $lenbytes
      (i32.store8 offset=1023 (i32.sub (local.get $total) (local.get $i))
        (i32.wrap_i64 (i64.shr_u (local.get $bits) (i64.extend_i32_u (i32.shl (local.get $i) (i32.const 3))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $lenbytes (i32.lt_u (local.get $i) (i32.const 8))))
    (local.set $h0 (i32.const 0x6a09e667)) (local.set $h1 (i32.const 0xbb67ae85))
    (local.set $h2 (i32.const 0x3c6ef372)) (local.set $h3 (i32.const 0xa54ff53a))
    (local.set $h4 (i32.const 0x510e527f)) (local.set $h5 (i32.const 0x9b05688c))
    (local.set $h6 (i32.const 0x1f83d9ab)) (local.set $h7 (i32.const 0x5be0cd19))
    (local.set $p (i32.const 1024))
    (block $blocks_done
      (loop $block
        (br_if $blocks_done (i32.ge_u (local.get $p) (i32.add (local.get $total) (i32.const 1024))))
        ;; message schedule
        (local.set $t (i32.const 0))
        (loop $w16
          (i32.store offset=256 (i32.shl (local.get $t) (i32.const 2))
            (call $load_be (i32.add (local.get $p) (i32.shl (local.get $t) (i32.const 2)))))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br_if $w16 (i32.lt_u (local.get $t) (i32.const 16))))
        (loop $w64
          (local.set $w15 (i32.load offset=196 (i32.shl (local.get $t) (i32.const 2))))
          (local.set $w2 (i32.load offset=248 (i32.shl (local.get $t) (i32.const 2))))
          (i32.store offset=256 (i32.shl (local.get $t) (i32.const 2))
            (i32.add
              (i32.add
                (i32.load offset=192 (i32.shl (local.get $t) (i32.const 2)))
                (i32.xor (i32.xor (i32.rotr (local.get $w15) (i32.const 7)) (i32.rotr (local.get $w15) (i32.const 18)))
                         (i32.shr_u (local.get $w15) (i32.const 3))))
              (i32.add
                (i32.load offset=228 (i32.shl (local.get $t) (i32.const 2)))
                (i32.xor (i32.xor (i32.rotr (local.get $w2) (i32.const 17)) (i32.rotr (local.get $w2) (i32.const 19)))
                         (i32.shr_u (local.get $w2) (i32.const 10))))))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br_if $w64 (i32.lt_u (local.get $t) (i32.const 64))))
        ;; compression
        (local.set $a (local.get $h0)) (local.set $b (local.get $h1))
        (local.set $c (local.get $h2)) (local.set $d (local.get $h3))
        (local.set $e (local.get $h4)) (local.set $f (local.get $h5))
        (local.set $g (local.get $h6)) (local.set $h (local.get $h7))
        (local.set $t (i32.const 0))
        (loop $round
          (local.set $t1
            (i32.add
              (i32.add (local.get $h)
                (i32.xor (i32.xor (i32.rotr (local.get $e) (i32.const 6)) (i32.rotr (local.get $e) (i32.const 11))) (i32.rotr (local.get $e) (i32.const 25))))
              (i32.add
                (i32.xor (i32.and (local.get $e) (local.get $f))
                         (i32.and (i32.xor (local.get $e) (i32.const -1)) (local.get $g)))
                (i32.add (i32.load (i32.shl (local.get $t) (i32.const 2)))
                         (i32.load offset=256 (i32.shl (local.get $t) (i32.const 2)))))))
          (local.set $t2
            (i32.add
              (i32.xor (i32.xor (i32.rotr (local.get $a) (i32.const 2)) (i32.rotr (local.get $a) (i32.const 13))) (i32.rotr (local.get $a) (i32.const 22)))
              (i32.xor (i32.xor (i32.and (local.get $a) (local.get $b)) (i32.and (local.get $a) (local.get $c)))
                       (i32.and (local.get $b) (local.get $c)))))
          (local.set $h (local.get $g))
          (local.set $g (local.get $f))
          (local.set $f (local.get $e))
          (local.set $e (i32.add (local.get $d) (local.get $t1)))
          (local.set $d (local.get $c))
          (local.set $c (local.get $b))
          (local.set $b (local.get $a))
          (local.set $a (i32.add (local.get $t1) (local.get $t2)))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br_if $round (i32.lt_u (local.get $t) (i32.const 64))))
        (local.set $h0 (i32.add (local.get $h0) (local.get $a)))
        (local.set $h1 (i32.add (local.get $h1) (local.get $b)))
        (local.set $h2 (i32.add (local.get $h2) (local.get $c)))
        (local.set $h3 (i32.add (local.get $h3) (local.get $d)))
        (local.set $h4 (i32.add (local.get $h4) (local.get $e)))
        (local.set $h5 (i32.add (local.get $h5) (local.get $f)))
        (local.set $h6 (i32.add (local.get $h6) (local.get $g)))
        (local.set $h7 (i32.add (local.get $h7) (local.get $h)))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $block)))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $h0)) (i64.const 32))
            (i64.extend_i32_u (local.get $h1)))))
