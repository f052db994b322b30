;; A direct call, a call through a table, and br_table as a jump table.
(module
  (type $t (func (param i32) (result i32)))
  (table 1 funcref) (elem (i32.const 0) $id)
  (func $id (type $t) (local.get 0))
  (func (param i32) (result i32)
    (call_indirect (type $t) (call $id (local.get 0)) (i32.const 0)))
  (func (param i32) (result i32)
    (block $b (block $a (br_table $a $b (local.get 0))) (return (i32.const 1))) (i32.const 2)))
