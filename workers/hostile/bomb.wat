;; Hostile: grows its memory page by page until the host refuses, then writes past the end.
(module
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "run") (param i32 i32) (result i64)
    (loop $grow
      (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    (i32.store (i32.mul (memory.size) (i32.const 65536)) (i32.const 1))
    (i64.const 0)))
