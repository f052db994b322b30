//! Snapshot tests of the translation: the printed IR of small functions,
//! committed here. A change of the translation fails them; update the
//! expected text only after checking the new IR by hand.

fn ir(wat: &str, func: Option<u32>) -> String {
    let wasm = wat::parse_str(wat).expect("test module parses");
    wasmlab_regir::print_module(&wasm, func).expect("translates")
}

const MODULE: &str = r#"
(module
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (memory 1)
  (global $g (mut i64) (i64.const 0))
  ;; 0: locals, tee, constants as immediates and in a constant register
  (func (param $x i32) (param $y f64) (result f64)
    (local $t i32)
    (local.set $t (i32.mul (local.tee $x (i32.add (local.get $x) (i32.const 7))) (i32.const 3)))
    (f64.mul (local.get $y) (f64.add (f64.convert_i32_s (local.get $t)) (f64.const 0.5))))
  ;; 1: memory, select, globals
  (func (param $p i32) (result i32)
    (i64.store offset=8 (local.get $p) (global.get $g))
    (global.set $g (i64.load32_s offset=4 (local.get $p)))
    (select (i32.load8_u (local.get $p)) (i32.const -1) (local.get $p)))
  ;; 2: multi-value block and a conditional branch carrying values
  (func (param i32) (result i32 i32)
    (block (result i32 i32)
      (br_if 0 (i32.const 1) (i32.const 2) (local.get 0))
      (drop) (drop)
      (i32.const 3) (i32.const 4)))
  ;; 3: call_indirect and a call with arguments in consecutive registers
  (func (param i32 i32) (result i32)
    (call_indirect (type $t) (i32.add (local.get 0) (i32.const 1)) (local.get 1)))
  ;; 4: unreachable code after br is not translated
  (func (result i32)
    (block $b (result i32)
      (br $b (i32.const 9))
      (i32.add (i32.const 1) (i32.const 2))))
  ;; 5: i64 compare fused into if, eqz into br_if
  (func (param i64) (result i64)
    (if (i64.gt_s (local.get 0) (i64.const 100)) (then (return (i64.const 1))))
    (block (br_if 0 (i64.eqz (local.get 0))) (local.set 0 (i64.const 5)))
    (local.get 0)))
"#;

#[test]
fn locals_tee_and_constants() {
    let expected = "\
func 0: params=2 results=1 locals=3 frame=9
    0: Const64 dst=r3 imm=4602678819172646912
    1: I32AddImm dst=r0 a=r0 imm=7
    2: I32MulImm dst=r2 a=r0 imm=3
    3: F64ConvertI32S dst=r7 src=r2
    4: F64Add dst=r7 a=r7 b=r3
    5: F64Mul dst=r6 a=r1 b=r7
    6: Return1 src=r6
";
    assert_eq!(ir(MODULE, Some(0)), expected);
}

#[test]
fn memory_select_globals() {
    let expected = "\
func 1: params=1 results=1 locals=1 frame=5
    0: Const32 dst=r1 imm=4294967295
    1: GlobalGet dst=r3 global=0
    2: Store64 addr=r0 src=r3 offset=8
    3: Load32S64 dst=r2 addr=r0 offset=4
    4: GlobalSet src=r2 global=0
    5: Load8U dst=r2 addr=r0 offset=0
    6: Select dst=r2 c=r0 a=r2 b=r1
    7: Return1 src=r2
";
    assert_eq!(ir(MODULE, Some(1)), expected);
}

#[test]
fn multi_value_br_if() {
    let expected = "\
func 2: params=1 results=2 locals=1 frame=8
    0: BrIfZ c=r0 target=@4
    1: Const32 dst=r5 imm=1
    2: Const32 dst=r6 imm=2
    3: Br target=@6
    4: Const32 dst=r5 imm=3
    5: Const32 dst=r6 imm=4
    6: CopySpan dst=r0 src=r5 n=2
    7: Return
";
    assert_eq!(ir(MODULE, Some(2)), expected);
}

#[test]
fn call_indirect_args() {
    let expected = "\
func 3: params=2 results=1 locals=2 frame=5
    0: I32AddImm dst=r3 a=r0 imm=1
    1: CallIndirect table=0 ty=0 index=r1 base=r3
    2: Return1 src=r3
";
    assert_eq!(ir(MODULE, Some(3)), expected);
}

#[test]
fn unreachable_code_is_skipped() {
    let expected = "\
func 4: params=0 results=1 locals=0 frame=4
    0: Const32 dst=r3 imm=9
    1: Return1 src=r3
    2: Return1 src=r3
";
    assert_eq!(ir(MODULE, Some(4)), expected);
}

#[test]
fn compare_fused_into_if_and_eqz_into_br_if() {
    let expected = "\
func 5: params=1 results=1 locals=1 frame=6
    0: BrI64LeSImm a=r0 imm=100 target=@3
    1: Const32 dst=r0 imm=1
    2: Return
    3: BrI64EqImm a=r0 imm=0 target=@5
    4: Const32 dst=r0 imm=5
    5: Return
";
    assert_eq!(ir(MODULE, Some(5)), expected);
}

#[test]
fn recursive_fib() {
    let expected = "\
func 0: params=1 results=1 locals=1 frame=7
    0: BrI32GeSImm a=r0 imm=2 target=@3
    1: Copy dst=r4 src=r0
    2: Return1 src=r4
    3: I32SubImm dst=r4 a=r0 imm=1
    4: Call func=0 base=r4
    5: I32SubImm dst=r5 a=r0 imm=2
    6: Call func=0 base=r5
    7: I32Add dst=r4 a=r4 b=r5
    8: Return1 src=r4
";
    assert_eq!(
        ir(
            r#";; Recursive Fibonacci: call-heavy (one call and return per few instructions).
(module
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_s (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else
        (i32.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "run") (param $n i32) (result i64)
    (i64.extend_i32_u (call $fib (local.get $n)))))
"#,
            Some(0)
        ),
        expected
    );
}

#[test]
fn counting_loop_is_inverted() {
    let expected = "\
func 0: params=1 results=1 locals=3 frame=9
    0: BrI32GeU a=r1 b=r0 target=@6
    1: I32ShlImm dst=r7 a=r1 imm=3
    2: I32Xor dst=r6 a=r1 b=r7
    3: I64Add dst=r2 a=r2 b=r6
    4: I32AddImm dst=r1 a=r1 imm=1
    5: BrI32LtU a=r1 b=r0 target=@1
    6: Return1 src=r2
";
    assert_eq!(
        ir(
            r#";; A counting loop: branch and integer arithmetic on locals.
(module
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $acc i64)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc
          (i64.add (local.get $acc)
                   (i64.extend_i32_u (i32.xor (local.get $i) (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $acc)))
"#,
            None
        ),
        expected
    );
}

#[test]
fn printing_names_missing_functions() {
    let wasm = wat::parse_str(r#"(module (import "m" "f" (func)) (func))"#).unwrap();
    let err = wasmlab_regir::print_module(&wasm, Some(0)).unwrap_err().to_string();
    assert!(err.contains("imported"), "{err}");
    let err = wasmlab_regir::print_module(&wasm, Some(2)).unwrap_err().to_string();
    assert!(err.contains("no function 2"), "{err}");
    assert!(wasmlab_regir::print_module(b"garbage", None).is_err());
}
