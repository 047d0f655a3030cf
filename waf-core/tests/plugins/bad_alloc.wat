;; Hostile plugin: `waf_alloc` answers with a pointer past the end of its memory.
(module
  (memory (export "memory") 1)
  (func (export "waf_abi_version") (result i32) (i32.const 1))
  (func (export "waf_alloc") (param i32) (result i32) (i32.const -16))
  (func (export "waf_inspect") (param i32 i32) (result i32) (i32.const 0)))
