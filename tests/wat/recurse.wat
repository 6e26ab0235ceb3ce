;; Test worker: unbounded recursion, a stack overflow.
(module
  (memory (export "memory") 1)
  (func $down (param i32) (result i32) (call $down (i32.add (local.get 0) (i32.const 1))))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "run") (param i32 i32) (result i64) (i64.extend_i32_u (call $down (i32.const 0)))))
