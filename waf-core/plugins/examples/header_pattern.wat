;; Example plugin: deny a request whose header `header` contains `pattern` (both from
;; the plugin's [config]), ASCII case-insensitively for the header name, exactly for
;; the pattern. Reports rule 910001 with a deny; scores 1000 when it matches.
(module
  (import "waf" "config" (func $config (param i32 i32 i32 i32) (result i32)))
  (import "waf" "report" (func $report (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  ;; 0..256: the header name read from the config; 256..512: the pattern.
  (data (i32.const 512) "header")
  (data (i32.const 520) "pattern")
  (data (i32.const 528) "Forbidden header pattern")
  ;; The request goes after the constants; the allocator only moves forward, as every
  ;; request gets a fresh instance.
  (global $heap (mut i32) (i32.const 1024))

  (func (export "waf_abi_version") (result i32) (i32.const 1))

  (func (export "waf_alloc") (param $len i32) (result i32)
    (local $ptr i32) (local $end i32)
    (local.set $ptr (global.get $heap))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    ;; Grow by the pages missing; -1 (refused) is left for the host to notice.
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow
        (i32.sub (i32.div_u (i32.add (local.get $end) (i32.const 65535)) (i32.const 65536))
                 (memory.size))))))
    (global.set $heap (local.get $end))
    (local.get $ptr))

  ;; ASCII lower case of one byte.
  (func $lower (param $c i32) (result i32)
    (if (result i32) (i32.lt_u (i32.sub (local.get $c) (i32.const 65)) (i32.const 26))
      (then (i32.or (local.get $c) (i32.const 32)))
      (else (local.get $c))))

  ;; Whether the $n bytes at $a and $b are equal, ignoring ASCII case.
  (func $ieq (param $a i32) (param $b i32) (param $n i32) (result i32)
    (local $i i32)
    (block $differ
      (loop $next
        (if (i32.ge_u (local.get $i) (local.get $n)) (then (return (i32.const 1))))
        (br_if $differ (i32.ne
          (call $lower (i32.load8_u (i32.add (local.get $a) (local.get $i))))
          (call $lower (i32.load8_u (i32.add (local.get $b) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  ;; Whether the $n bytes at $needle occur in the $len bytes at $hay.
  (func $contains (param $hay i32) (param $len i32) (param $needle i32) (param $n i32) (result i32)
    (local $at i32)
    (if (i32.gt_u (local.get $n) (local.get $len)) (then (return (i32.const 0))))
    (loop $next
      (if (call $eq (i32.add (local.get $hay) (local.get $at)) (local.get $needle) (local.get $n))
        (then (return (i32.const 1))))
      (local.set $at (i32.add (local.get $at) (i32.const 1)))
      (br_if $next (i32.le_u (local.get $at) (i32.sub (local.get $len) (local.get $n)))))
    (i32.const 0))

  ;; Whether the $n bytes at $a and $b are equal.
  (func $eq (param $a i32) (param $b i32) (param $n i32) (result i32)
    (local $i i32)
    (block $differ
      (loop $next
        (if (i32.ge_u (local.get $i) (local.get $n)) (then (return (i32.const 1))))
        (br_if $differ (i32.ne
          (i32.load8_u (i32.add (local.get $a) (local.get $i)))
          (i32.load8_u (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  (func (export "waf_inspect") (param $ptr i32) (param $len i32) (result i32)
    (local $name_len i32) (local $pattern_len i32)
    (local $count i32) (local $at i32) (local $nlen i32) (local $vlen i32)
    (local.set $name_len (call $config (i32.const 512) (i32.const 6) (i32.const 0) (i32.const 256)))
    (local.set $pattern_len (call $config (i32.const 520) (i32.const 7) (i32.const 256) (i32.const 256)))
    ;; Not configured (or longer than the buffers): nothing to look for.
    (if (i32.or
          (i32.gt_u (i32.sub (local.get $name_len) (i32.const 1)) (i32.const 255))
          (i32.gt_u (i32.sub (local.get $pattern_len) (i32.const 1)) (i32.const 255)))
      (then (return (i32.const 0))))
    (local.set $count (i32.load (local.get $ptr)))
    (local.set $at (i32.add (local.get $ptr) (i32.const 4)))
    (block $done
      (loop $record
        (br_if $done (i32.eqz (local.get $count)))
        (local.set $nlen (i32.load offset=4 (local.get $at)))
        (local.set $vlen (i32.load offset=8 (local.get $at)))
        (if (i32.and
              (i32.and
                (i32.eq (i32.load (local.get $at)) (i32.const 4))
                (i32.eq (local.get $nlen) (local.get $name_len)))
              (call $ieq (i32.add (local.get $at) (i32.const 12)) (i32.const 0) (local.get $nlen)))
          (then
            (if (call $contains
                  (i32.add (i32.add (local.get $at) (i32.const 12)) (local.get $nlen))
                  (local.get $vlen) (i32.const 256) (local.get $pattern_len))
              (then
                (call $report (i32.const 910001) (i32.const 1) (i32.const 528) (i32.const 24))
                (return (i32.const 1000))))))
        (local.set $at (i32.add (i32.add (local.get $at) (i32.const 12))
                                (i32.add (local.get $nlen) (local.get $vlen))))
        (local.set $count (i32.sub (local.get $count) (i32.const 1)))
        (br $record)))
    (i32.const 0))
)
