;; Test worker: returns how many times `run` has been called in this instance (4 bytes, LE)
;; and how many times the input's first byte was seen. A fresh instance per run keeps both 1.
(module
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "run") (param $ptr i32) (param $len i32) (result i64)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    ;; memory[16] counts too: a leaked memory would remember it
    (i32.store (i32.const 16) (i32.add (i32.load (i32.const 16)) (i32.const 1)))
    (i32.store (i32.const 2048) (global.get $calls))
    (i32.store (i32.const 2052) (i32.load (i32.const 16)))
    (i64.or (i64.shl (i64.const 2048) (i64.const 32)) (i64.const 8))))
