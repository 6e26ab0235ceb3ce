;; Test worker: its allocator returns an address past the end of memory.
(module
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 0x7fff0000))
  (func (export "run") (param i32 i32) (result i64) (i64.const 0)))
