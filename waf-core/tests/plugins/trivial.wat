;; The least a plugin can be: says nothing about every request (the benchmark's
;; baseline, and the tests' well-behaved neighbour).
(module
  (memory (export "memory") 1)
  (func (export "waf_abi_version") (result i32) (i32.const 1))
  (func (export "waf_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "waf_inspect") (param i32 i32) (result i32) (i32.const 0)))
