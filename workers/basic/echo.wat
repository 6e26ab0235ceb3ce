;; echo: returns its input unchanged. The smallest worker that implements the ABI
;; (docs/worker-abi.md): a bump allocator and a `run` that points at the input.
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))

  ;; alloc(size) -> ptr: bump allocation, growing memory as needed; 0 when it cannot grow.
  (func $alloc (export "alloc") (param $size i32) (result i32)
    (local $ptr i32) (local $end i32)
    (local.set $ptr (global.get $heap))
    (local.set $end (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq
              (memory.grow (i32.shr_u (i32.add (i32.sub (local.get $end)
                                                        (i32.mul (memory.size) (i32.const 65536)))
                                               (i32.const 65535))
                                      (i32.const 16)))
              (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $heap (local.get $end))
    (local.get $ptr))

  ;; run(ptr, len) -> (ptr << 32) | len
  (func (export "run") (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
            (i64.extend_i32_u (local.get $len)))))
