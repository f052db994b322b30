;; Hand-made regression case: accesses straddling the end of memory (with
;; static offsets), growth up to the declared maximum and past it, and bulk
;; operations that are out of bounds (they trap before writing anything) or
;; overlap. The exported memory is compared after every call.
(module
  (memory (export "mem") 1 2)
  (data (i32.const 65528) "\01\02\03\04\05\06\07\08")
  (func (export "i64.load") (param i32) (result i64) local.get 0 i64.load)
  (func (export "i32.load16_s off=65534") (param i32) (result i32) local.get 0 i32.load16_s offset=65534)
  (func (export "i64.store32") (param i32 i64) local.get 0 local.get 1 i64.store32)
  (func (export "memory.grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "memory.size") (result i32) memory.size)
  (func (export "memory.fill") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 memory.fill)
  (func (export "memory.copy") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 memory.copy))
