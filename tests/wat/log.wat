;; Test worker: writes its input to the host log (memjit.log, when allow-listed) and echoes it.
(module
  (import "memjit" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "run") (param $ptr i32) (param $len i32) (result i64)
    (call $log (local.get $ptr) (local.get $len))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
            (i64.extend_i32_u (local.get $len)))))
