;; Hostile: answers "digits-8x8" requests with pseudo-random labels (an xorshift generator
;; seeded by the input's length): well-formed output, useless content. It needs no clock or
;; randomness import, so it stays deterministic like every worker.
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func $alloc (export "alloc") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (if (i32.eq (memory.grow (i32.add (i32.shr_u (local.get $size) (i32.const 16))
                                              (i32.const 1)))
                        (i32.const -1))
              (then (return (i32.const 0))))))
    (local.get $ptr))
  (func (export "run") (param $ptr i32) (param $len i32) (result i64)
    (local $n i32) (local $out i32) (local $i i32) (local $x i32)
    (local.set $n (i32.div_u (local.get $len) (i32.const 64)))
    (local.set $out (call $alloc (local.get $n)))
    (local.set $x (i32.add (local.get $len) (i32.const 0x9e3779b9)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
        (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
        (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
        (i32.store8 (i32.add (local.get $out) (local.get $i))
                    (i32.rem_u (local.get $x) (i32.const 10)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32))
            (i64.extend_i32_u (local.get $n)))))
