;; Hostile plugin: Reports a message that lies outside its memory.
(module
  (import "waf" "report" (func $report (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (func $deeper (param i32) (result i32) (call $deeper (i32.add (local.get 0) (i32.const 1))))
  (func (export "waf_abi_version") (result i32) (i32.const 1))
  (func (export "waf_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "waf_inspect") (param i32 i32) (result i32)
    (call $report (i32.const 1) (i32.const 0) (i32.const 2147483647) (i32.const 100)) (i32.const 0)))
