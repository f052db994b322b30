(module
  (type (;0;) (func (param f32 i64)))
  (type (;1;) (func (result f64 f32 i32 i64 i32)))
  (type (;2;) (func))
  (table (;0;) 1 21 funcref)
  (global (;0;) (mut i64) i64.const 0)
  (global (;1;) (mut i32) i32.const 0)
  (global (;2;) (mut i32) i32.const 0)
  (global (;3;) (mut i64) i64.const 0)
  (global (;4;) (mut i32) i32.const 500)
  (export "" (func 0))
  (export "1" (func 1))
  (export "2" (func 2))
  (export "3" (func 3))
  (export "4" (table 0))
  (export "s" (global 0))
  (export "6" (global 1))
  (export "HR\u{73e}" (global 2))
  (export "8" (global 3))
  (export "wasmlab:refuel" (func 4))
  (func (;0;) (type 0) (param f32 i64)
    (local f64 f64 f64 f32)
    global.get 4
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 4
    i32.const 1
    i32.sub
    global.set 4
    call 1
    i32.const -1332936819
    i32.lt_s
    i64.extend_i32_s
    i64.popcnt
    i64.ne
    local.get 2
    i32.trunc_sat_f64_s
    block (result f64) ;; label = @1
      local.get 1
      i64.popcnt
      i64.ctz
      i64.ctz
      f64.const 0x1.5c0555c53e56bp-303 (;=0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000834212320043744;)
      i64.const 562949953421312
      i32.const 2097151
      f64.convert_i32_s
      local.get 0
      local.get 1
      local.set 1
      f64.const -nan:0xffffffff80000 (;=NaN;)
      f64.nearest
      local.tee 3
      f64.const nan (;=NaN;)
      local.get 3
      local.get 3
      f64.eq
      select
      local.set 2
      i32.reinterpret_f32
      loop (type 1) (result f64 f32 i32 i64 i32) ;; label = @2
        global.get 4
        i32.eqz
        if ;; label = @3
          unreachable
        end
        global.get 4
        i32.const 1
        i32.sub
        global.set 4
        f64.const 0x1.fdfffffcp-1044 (;=0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001056853372;)
        i32.trunc_sat_f64_u
        i64.extend_i32_s
        f64.reinterpret_i64
        local.tee 4
        local.get 4
        f64.ne
        local.get 4
        f64.const inf (;=inf;)
        f64.eq
        local.get 4
        f64.const -inf (;=-inf;)
        f64.eq
        i32.or
        i32.or
        if ;; label = @3
          f64.const 0x0p+0 (;=0;)
          local.set 4
        end
        local.get 4
        f64.const -0x1.fffffffffffffp+62 (;=-9223372036854775000;)
        f64.lt
        if ;; label = @3
          f64.const -0x1.fffffffffffffp+62 (;=-9223372036854775000;)
          local.set 4
        end
        local.get 4
        f64.const 0x1.fffffffffffffp+62 (;=9223372036854775000;)
        f64.gt
        if ;; label = @3
          f64.const 0x1.fffffffffffffp+62 (;=9223372036854775000;)
          local.set 4
        end
        local.get 4
        i64.trunc_f64_s
        f64.convert_i64_s
        br 1 (;@1;)
        block ;; label = @3
          f32.const -0x1.fdfdfcp+126 (;=-169473950000000000000000000000000000000;)
          block (type 1) (result f64 f32 i32 i64 i32) ;; label = @4
            loop (type 1) (result f64 f32 i32 i64 i32) ;; label = @5
              global.get 4
              i32.eqz
              if ;; label = @6
                unreachable
              end
              global.get 4
              i32.const 1
              i32.sub
              global.set 4
              loop (result i64) ;; label = @6
                global.get 4
                i32.eqz
                if ;; label = @7
                  unreachable
                end
                global.get 4
                i32.const 1
                i32.sub
                global.set 4
                f32.const -0x1.89f99p+108 (;=-499422460000000000000000000000000;)
                local.tee 5
                local.get 5
                f32.ne
                local.get 5
                f32.const inf (;=inf;)
                f32.eq
                local.get 5
                f32.const -inf (;=-inf;)
                f32.eq
                i32.or
                i32.or
                if ;; label = @7
                  f32.const 0x0p+0 (;=0;)
                  local.set 5
                end
                local.get 5
                f32.const -0x1p+63 (;=-9223372000000000000;)
                f32.lt
                if ;; label = @7
                  f32.const -0x1p+63 (;=-9223372000000000000;)
                  local.set 5
                end
                local.get 5
                f32.const 0x1.fffffep+62 (;=9223371500000000000;)
                f32.gt
                if ;; label = @7
                  f32.const 0x1.fffffep+62 (;=9223371500000000000;)
                  local.set 5
                end
                local.get 5
                i64.trunc_f32_s
              end
              global.get 0
              i64.xor
              global.set 0
              f64.const 0x1.fffffffffffffp-768 (;=0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000012882297539194265;)
              f32.const -0x0p+0 (;=-0;)
              i32.const -286331154
              i64.const -288230376151711745
              i32.const 1
            end
          end
          global.get 1
          i32.xor
          global.set 1
          global.get 0
          i64.xor
          global.set 0
          global.get 1
          i32.xor
          global.set 1
          i32.reinterpret_f32
          global.get 2
          i32.xor
          global.set 2
          i64.reinterpret_f64
          global.get 3
          i64.xor
          global.set 3
          i32.reinterpret_f32
          global.get 2
          i32.xor
          global.set 2
        end
        f64.const -0x1.88eaea6cd0121p+413 (;=-32467568857808830000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
        f32.const 0x1.6e36e2p+109 (;=928463800000000000000000000000000;)
        i32.const -5
        i64.const 549755813887
        i32.const -8388608
      end
      global.get 1
      i32.xor
      global.set 1
      global.get 0
      i64.xor
      global.set 0
      global.get 1
      i32.xor
      global.set 1
      i32.reinterpret_f32
      global.get 2
      i32.xor
      global.set 2
      i64.reinterpret_f64
      global.get 3
      i64.xor
      global.set 3
      global.get 1
      i32.xor
      global.set 1
      i64.reinterpret_f64
      global.get 3
      i64.xor
      global.set 3
      global.get 0
      i64.xor
      global.set 0
      i64.reinterpret_f64
      global.get 3
      i64.xor
      global.set 3
      global.get 0
      i64.xor
      global.set 0
      f64.const -nan:0xffffffdffffff (;=NaN;)
    end
    i64.reinterpret_f64
    global.get 3
    i64.xor
    global.set 3
    global.get 1
    i32.xor
    global.set 1
    global.get 1
    i32.xor
    global.set 1
    global.get 1
    i32.xor
    global.set 1
    i32.reinterpret_f32
    global.get 2
    i32.xor
    global.set 2
    i64.reinterpret_f64
    global.get 3
    i64.xor
    global.set 3
  )
  (func (;1;) (type 1) (result f64 f32 i32 i64 i32)
    (local f32 f64 f32)
    global.get 4
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 4
    i32.const 1
    i32.sub
    global.set 4
    f64.const -nan:0x9e3d1a33a5e96 (;=NaN;)
    loop ;; label = @1
      global.get 4
      i32.eqz
      if ;; label = @2
        unreachable
      end
      global.get 4
      i32.const 1
      i32.sub
      global.set 4
      f32.const 0x1.p-139 (;=0.000000000000000000000000000000000000000001435;)
      f32.trunc
      local.tee 0
      f32.const nan (;=NaN;)
      local.get 0
      local.get 0
      f32.eq
      select
      f32.abs
      i64.const 2005497346520677336
      call 2
      f64.convert_i32_s
      call 1
      i64.extend_i32_s
      i64.shr_u
      f32.convert_i64_u
      f32.const 0x1.cdaaeap-109 (;=0.000000000000000000000000000000002778561;)
      f64.promote_f32
      f64.abs
      f64.abs
      local.tee 1
      local.get 1
      f64.ne
      local.get 1
      f64.const inf (;=inf;)
      f64.eq
      local.get 1
      f64.const -inf (;=-inf;)
      f64.eq
      i32.or
      i32.or
      if ;; label = @2
        f64.const 0x0p+0 (;=0;)
        local.set 1
      end
      local.get 1
      f64.const 0x0p+0 (;=0;)
      f64.lt
      if ;; label = @2
        f64.const 0x0p+0 (;=0;)
        local.set 1
      end
      local.get 1
      f64.const 0x1.fffffffffffffp+62 (;=9223372036854775000;)
      f64.gt
      if ;; label = @2
        f64.const 0x1.fffffffffffffp+62 (;=9223372036854775000;)
        local.set 1
      end
      local.get 1
      i64.trunc_f64_u
      i64.extend32_s
      f64.const -nan:0xfffffe0000000 (;=NaN;)
      call 2
      block (type 1) (result f64 f32 i32 i64 i32) ;; label = @2
        call 2
        f64.const 0x1.b1d9ec78af46cp+758 (;=2569434881328936000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
        i32.trunc_sat_f64_u
        block (type 1) (result f64 f32 i32 i64 i32) ;; label = @3
          loop (type 1) (result f64 f32 i32 i64 i32) ;; label = @4
            global.get 4
            i32.eqz
            if ;; label = @5
              unreachable
            end
            global.get 4
            i32.const 1
            i32.sub
            global.set 4
            call 2
            f32.convert_i32_u
            i64.const 2427630123229108086
            i64.extend8_s
            call 0
            f32.convert_i64_u
            call 1
            i32.clz
            br_if 3 (;@1;)
            loop ;; label = @5
              global.get 4
              i32.eqz
              if ;; label = @6
                unreachable
              end
              global.get 4
              i32.const 1
              i32.sub
              global.set 4
              f64.const 0x1.ffffffffep-1039 (;=0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000033951932655;)
              i32.trunc_sat_f64_s
              br_table 0 (;@5;) 1 (;@4;) 4 (;@1;) 0 (;@5;)
              i64.const -813225260674468694
              i64.clz
              f32.convert_i64_s
              f32.trunc
              local.tee 2
              f32.const nan (;=NaN;)
              local.get 2
              local.get 2
              f32.eq
              select
              i32.reinterpret_f32
              global.get 2
              i32.xor
              global.set 2
            end
            global.get 0
            i64.xor
            global.set 0
            global.get 1
            i32.xor
            global.set 1
            i32.reinterpret_f32
            global.get 2
            i32.xor
            global.set 2
            i64.reinterpret_f64
            global.get 3
            i64.xor
            global.set 3
            i32.reinterpret_f32
            global.get 2
            i32.xor
            global.set 2
            i64.const 5716940953353668316
            i32.const 16383
          end
        end
        global.get 1
        i32.xor
        global.set 1
        global.get 0
        i64.xor
        global.set 0
        global.get 1
        i32.xor
        global.set 1
        i32.reinterpret_f32
        global.get 2
        i32.xor
        global.set 2
        i64.reinterpret_f64
        global.get 3
        i64.xor
        global.set 3
        global.get 1
        i32.xor
        global.set 1
      end
      global.get 1
      i32.xor
      global.set 1
      global.get 0
      i64.xor
      global.set 0
      global.get 1
      i32.xor
      global.set 1
      i32.reinterpret_f32
      global.get 2
      i32.xor
      global.set 2
      i64.reinterpret_f64
      global.get 3
      i64.xor
      global.set 3
      global.get 1
      i32.xor
      global.set 1
      global.get 0
      i64.xor
      global.set 0
      global.get 1
      i32.xor
      global.set 1
      i32.reinterpret_f32
      global.get 2
      i32.xor
      global.set 2
      i64.reinterpret_f64
      global.get 3
      i64.xor
      global.set 3
      i64.reinterpret_f64
      global.get 3
      i64.xor
      global.set 3
      global.get 0
      i64.xor
      global.set 0
      i32.reinterpret_f32
      global.get 2
      i32.xor
      global.set 2
      global.get 1
      i32.xor
      global.set 1
      i32.reinterpret_f32
      global.get 2
      i32.xor
      global.set 2
      i64.reinterpret_f64
      global.get 3
      i64.xor
      global.set 3
      i64.reinterpret_f64
      global.get 3
      i64.xor
      global.set 3
      global.get 0
      i64.xor
      global.set 0
      global.get 1
      i32.xor
      global.set 1
      i32.reinterpret_f32
      global.get 2
      i32.xor
      global.set 2
      i64.reinterpret_f64
      global.get 3
      i64.xor
      global.set 3
      global.get 0
      i64.xor
      global.set 0
      i32.reinterpret_f32
      global.get 2
      i32.xor
      global.set 2
    end
    f32.const 0x1.33b8eep-16 (;=0.000018341683;)
    i32.const 1626417975
    i64.const 2754087423764361585
    i32.const -628126937
  )
  (func (;2;) (type 1) (result f64 f32 i32 i64 i32)
    (local f32 f64 f64 f64 f64)
    global.get 4
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 4
    i32.const 1
    i32.sub
    global.set 4
    call 1
    f32.convert_i32_s
    local.tee 0
    local.get 0
    f32.ne
    local.get 0
    f32.const inf (;=inf;)
    f32.eq
    local.get 0
    f32.const -inf (;=-inf;)
    f32.eq
    i32.or
    i32.or
    if ;; label = @1
      f32.const 0x0p+0 (;=0;)
      local.set 0
    end
    local.get 0
    f32.const -0x1.fffffep+30 (;=-2147483500;)
    f32.lt
    if ;; label = @1
      f32.const -0x1.fffffep+30 (;=-2147483500;)
      local.set 0
    end
    local.get 0
    f32.const 0x1.fffffep+30 (;=2147483500;)
    f32.gt
    if ;; label = @1
      f32.const 0x1.fffffep+30 (;=2147483500;)
      local.set 0
    end
    local.get 0
    i32.trunc_f32_s
    i64.const 9159342459310207077
    i64.ctz
    f64.const -0x1.dac6b741f8783p-599 (;=-0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000008938849041332669;)
    f64.floor
    local.tee 1
    f64.const nan (;=NaN;)
    local.get 1
    local.get 1
    f64.eq
    select
    f64.neg
    f64.nearest
    local.tee 2
    f64.const nan (;=NaN;)
    local.get 2
    local.get 2
    f64.eq
    select
    i32.trunc_sat_f64_s
    i32.clz
    i64.extend_i32_s
    i64.shr_s
    i32.const 16
    i32.const -1978820538
    i32.ge_u
    i32.clz
    f64.convert_i32_s
    i64.trunc_sat_f64_s
    i64.clz
    i64.le_s
    i32.ne
    br 0
    i64.const -9007199254740992
    block ;; label = @1
      f64.const 0x1.cp-1072 (;=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000035;)
      f64.abs
      f64.ceil
      local.tee 3
      f64.const nan (;=NaN;)
      local.get 3
      local.get 3
      f64.eq
      select
      f64.nearest
      local.tee 4
      f64.const nan (;=NaN;)
      local.get 4
      local.get 4
      f64.eq
      select
      i64.reinterpret_f64
      global.get 3
      i64.xor
      global.set 3
    end
    global.get 0
    i64.xor
    global.set 0
    f64.const 0x1.p-1026 (;=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001390671161567;)
    f32.const -0x1.ad7252p-94 (;=-0.0000000000000000000000000000846934;)
    i32.const -536870913
    i64.const -140737488355328
    i32.const -3
  )
  (func (;3;) (type 0) (param f32 i64)
    (local f64 f32 i64 f64 f64 f64)
    global.get 4
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 4
    i32.const 1
    i32.sub
    global.set 4
    f64.const -0x1.ef7a84ea9203dp-495 (;=-0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000018920694548583507;)
    local.get 1
    f64.convert_i64_s
    i64.reinterpret_f64
    f64.const 0x1.ac9f9681387ccp-677 (;=0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000026701080571415967;)
    f64.nearest
    local.tee 5
    f64.const nan (;=NaN;)
    local.get 5
    local.get 5
    f64.eq
    select
    block ;; label = @1
      block ;; label = @2
        f32.const -0x1.c10a34p+66 (;=-129426930000000000000;)
        i32.trunc_sat_f32_s
        i32.eqz
        br_if 2
      end
      block (type 1) (result f64 f32 i32 i64 i32) ;; label = @2
        loop (result f32) ;; label = @3
          global.get 4
          i32.eqz
          if ;; label = @4
            unreachable
          end
          global.get 4
          i32.const 1
          i32.sub
          global.set 4
          block (type 1) (result f64 f32 i32 i64 i32) ;; label = @4
            block (result f64) ;; label = @5
              local.get 3
              local.get 3
              f32.lt
              i32.extend8_s
              f64.const 0x1.c24bf30f71e7cp-1011 (;=0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000008015546926425935;)
              local.tee 6
              local.get 6
              f64.ne
              local.get 6
              f64.const inf (;=inf;)
              f64.eq
              local.get 6
              f64.const -inf (;=-inf;)
              f64.eq
              i32.or
              i32.or
              if ;; label = @6
                f64.const 0x0p+0 (;=0;)
                local.set 6
              end
              local.get 6
              f64.const -0x1p+31 (;=-2147483648;)
              f64.lt
              if ;; label = @6
                f64.const -0x1p+31 (;=-2147483648;)
                local.set 6
              end
              local.get 6
              f64.const 0x1.fffffffcp+30 (;=2147483647;)
              f64.gt
              if ;; label = @6
                f64.const 0x1.fffffffcp+30 (;=2147483647;)
                local.set 6
              end
              local.get 6
              i32.trunc_f64_s
              br 4 (;@1;)
              f64.const 0x1.f41e36233d34p-467 (;=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000005126542441344532;)
              f64.trunc
              local.tee 7
              f64.const nan (;=NaN;)
              local.get 7
              local.get 7
              f64.eq
              select
              local.set 2
              f32.convert_i32_u
              call 1
              f64.convert_i32_u
              loop (type 1) (result f64 f32 i32 i64 i32) ;; label = @6
                global.get 4
                i32.eqz
                if ;; label = @7
                  unreachable
                end
                global.get 4
                i32.const 1
                i32.sub
                global.set 4
                call 1
                i32.clz
                i32.eqz
              end
              call 1
              local.get 2
              local.set 2
              global.get 1
              i32.xor
              global.set 1
              global.get 0
              i64.xor
              global.set 0
              global.get 1
              i32.xor
              global.set 1
              i32.reinterpret_f32
              global.get 2
              i32.xor
              global.set 2
              i64.reinterpret_f64
              global.get 3
              i64.xor
              global.set 3
              global.get 1
              i32.xor
              global.set 1
              global.get 0
              i64.xor
              global.set 0
              global.get 1
              i32.xor
              global.set 1
              i32.reinterpret_f32
              global.get 2
              i32.xor
              global.set 2
              i64.reinterpret_f64
              global.get 3
              i64.xor
              global.set 3
              i64.reinterpret_f64
              global.get 3
              i64.xor
              global.set 3
              global.get 0
              i64.xor
              global.set 0
              global.get 1
              i32.xor
              global.set 1
              i32.reinterpret_f32
              global.get 2
              i32.xor
              global.set 2
              i64.reinterpret_f64
              global.get 3
              i64.xor
              global.set 3
              i32.reinterpret_f32
              global.get 2
              i32.xor
              global.set 2
              global.get 1
              i32.xor
              global.set 1
              f64.const 0x1.437a6960663fdp-619 (;=0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000005808148300790574;)
            end
            f32.const -0x1.ac36d4p-32 (;=-0.00000000038945852;)
            i32.const -16385
            i64.const -3470972022782141322
            i32.const 1324028724
          end
          global.get 1
          i32.xor
          global.set 1
          global.get 0
          i64.xor
          global.set 0
          global.get 1
          i32.xor
          global.set 1
          i32.reinterpret_f32
          global.get 2
          i32.xor
          global.set 2
          i64.reinterpret_f64
          global.get 3
          i64.xor
          global.set 3
          f32.const -0x1p-23 (;=-0.00000011920929;)
        end
        i32.reinterpret_f32
        global.get 2
        i32.xor
        global.set 2
        f64.const -0x1.d14e8643861f7p+172 (;=-10880744909136216000000000000000000000000000000000000;)
        f32.const -nan:0x5fffff (;=NaN;)
        i32.const -1117248283
        i64.const -140737488355328
        i32.const 802998597
      end
      global.get 1
      i32.xor
      global.set 1
      global.get 0
      i64.xor
      global.set 0
      global.get 1
      i32.xor
      global.set 1
      i32.reinterpret_f32
      global.get 2
      i32.xor
      global.set 2
      i64.reinterpret_f64
      global.get 3
      i64.xor
      global.set 3
    end
    i64.reinterpret_f64
    global.get 3
    i64.xor
    global.set 3
    global.get 0
    i64.xor
    global.set 0
    i64.reinterpret_f64
    global.get 3
    i64.xor
    global.set 3
  )
  (func (;4;) (type 2)
    i32.const 500
    global.set 4
  )
)
