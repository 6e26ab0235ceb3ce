;; Test worker: reads an f32 from the input, returns the bits of x + x. With a NaN input
;; carrying a payload, the result is the canonical NaN only under NaN canonicalization.
(module
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "run") (param $ptr i32) (param $len i32) (result i64)
    (f32.store (i32.const 2048) (f32.add (f32.load (local.get $ptr)) (f32.load (local.get $ptr))))
    (i64.or (i64.shl (i64.const 2048) (i64.const 32)) (i64.const 4))))
