;; Test worker: asks for 128 MiB of memory up front.
(module
  (memory (export "memory") 2048)
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "run") (param i32 i32) (result i64) (i64.const 0)))
