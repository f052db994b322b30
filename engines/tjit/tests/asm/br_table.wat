;; br_table: an indexed jump through a jump table (data after the code),
;; with its bounds check sending out-of-range indices to the default.
(module (func (param i32) (result i32)
  (block $c (block $b (block $a
    (br_table $a $b $c (local.get 0)))
    (return (i32.const 10)))
    (return (i32.const 20)))
  (i32.const 30)))
