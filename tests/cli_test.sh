#!/usr/bin/env bash
# CLI tests for `metriq formats` and `metriq quantize`: known values,
# options, and bad input (message naming the problem, exit status 2); the
# command table (help, unknown commands) and the option parser as the
# commands see it (harness/cli/opt.c; tests/test_opt.c tests it alone).
set -u
M=${1:?usage: cli_test.sh path/to/metriq}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# expect_out "ARGS" "INPUT" "EXPECTED OUTPUT (space separated)"
expect_out() {
	local got
	got=$(printf '%s' "$2" | $M quantize $1 2>&1 | tr '\n' ' ' | sed 's/ $//')
	[ "$got" = "$3" ] && ok || bad "quantize $1 <<< '$2': got '$got', want '$3'"
}
# expect_err "ARGS" "INPUT" "substring of the message"
expect_err() {
	local err rc
	err=$(printf '%s' "$2" | $M $1 2>&1 >/dev/null)
	rc=$?
	[ $rc -eq 2 ] || bad "metriq $1: exit $rc, want 2"
	case "$err" in *"$3"*) ok ;; *) bad "metriq $1: message '$err' lacks '$3'" ;; esac
}

expect_out "--format e4m3" "448 416 449 1e6 0.1 272 304" "448 416 448 448 0.1015625 256 320"
expect_out "--format e4m3" "0.001953125 0.0009765625 0.00098 -0 nan -inf" "0.001953125 0 0.001953125 -0 nan -448"
expect_out "--format e4m3 --underflow flush" "0.00098 -0.0019 0.001953125" "0 -0 0.001953125"
expect_out "--format e4m3 --overflow ieee" "500 inf 464" "nan nan 448"
expect_out "--format e5m2 --overflow ieee" "57344 61440 70000 -inf" "57344 inf inf -inf"
expect_out "--format e5m2 --overflow ieee --rounding rtz" "70000 inf" "57344 inf"
expect_out "--format e5m2" "57344 1e9 1.52587890625e-05" "57344 57344 1.52587891e-05"
expect_out "--format int8" "0.5 1.5 2.5 -0.4 127.4 300 nan" "0 2 2 -0 127 127 nan"
expect_out "--format int8 --scale 0.5" "1.2 -63.75 -63.7" "1 -63.5 -63.5"
expect_out "--format int8 --rounding rna" "0.5 -2.5" "1 -3"
expect_out "--format int8 --rounding rtz" "1.9 -2.9" "1 -2"
expect_out "--format int8 --codes" "-127 -1 0 1 127" "0x81 0xff 0x00 0x01 0x7f"
expect_out "--format e4m3 --codes" "448 -448 nan 1" "0x7e 0xfe 0x7f 0x38"
expect_out "--format bf16" "1.00390625 1.005859375 3.4028235e38" "1 1.0078125 3.38953139e+38"
expect_out "--format fp16" "65519 65520 5.96e-08 2.9e-08" "65504 65504 5.96046448e-08 0"
expect_out "--format e2m1" "0.25 0.75 2.5 5 7" "0 1 2 4 6"
expect_out "--format e8m0" "0.75 1.5 3 3.01 -1 0 -0 1e-40" "0.5 2 2 4 nan 5.87747175e-39 5.87747175e-39 5.87747175e-39"
expect_out "--format e3m4fn" "15.5 15.75 16 31 1e9" "15.5 16 16 30 30"
# stochastic rounding: only neighbours; same seed same bits; different seeds differ
a=$(yes 0.3 | head -n 2000 | $M quantize --format int8 --rounding sr --seed 7 | sort -u | tr '\n' ' ')
[ "$a" = "0 1 " ] && ok || bad "sr neighbours: '$a'"
s1=$(yes 0.3 | head -n 500 | $M quantize --format e4m3 --rounding sr:8 --seed 1 | md5sum)
s2=$(yes 0.3 | head -n 500 | $M quantize --format e4m3 --rounding sr:8 --seed 1 | md5sum)
s3=$(yes 0.3 | head -n 500 | $M quantize --format e4m3 --rounding sr:8 --seed 2 | md5sum)
[ "$s1" = "$s2" ] && ok || bad "sr not reproducible"
[ "$s1" != "$s3" ] && ok || bad "sr seeds 1 and 2 agree"

# formats table
t=$($M formats)
case "$t" in *e4m3*448*0.015625*0.001953125*) ok ;; *) bad "formats table: e4m3 row" ;; esac
case "$t" in *e5m2*57344*) ok ;; *) bad "formats table: e5m2 row" ;; esac

# bad input
expect_err "quantize --format e9m9" "1" "unknown format 'e9m9'"
expect_err "quantize --format e9m9" "1" "known: int8"
expect_err "quantize" "1" "missing --format"
expect_err "quantize --format e4m3 --rounding rtn" "1" "unknown rounding 'rtn'"
expect_err "quantize --format e4m3 --rounding sr:0" "1" "unknown rounding 'sr:0'"
expect_err "quantize --format e4m3 --overflow clamp" "1" "unknown overflow rule 'clamp'"
expect_err "quantize --format e4m3 --underflow ftz" "1" "unknown underflow rule 'ftz'"
expect_err "quantize --format int8 --overflow ieee" "1" "no infinity or NaN"
expect_err "quantize --format e4m3 --scale 0" "1" "--scale '0'"
expect_err "quantize --format e4m3 --scale -1" "1" "--scale '-1'"
expect_err "quantize --format e4m3 --scale nan" "1" "--scale 'nan'"
expect_err "quantize --format e4m3 --seed -3" "1" "--seed: '-3' is not a decimal integer in 0..18446744073709551615"
expect_err "quantize --format e4m3 --bogus" "1" "unknown option '--bogus'"
expect_err "quantize --format" "1" "needs a value"
expect_err "quantize --format e4m3" "1 2 abc 4" "input item 3 'abc' is not a number"
expect_err "quantize --format e4m3" "1.5x" "'1.5x' is not a number"
expect_err "formats extra" "" "unexpected argument 'extra'"
expect_err "frobnicate" "" "unknown command 'frobnicate'"
expect_err "frobnicate" "" "known: formats, quantize, advise, run, merge, plot, compare, bench"
expect_err "help frobnicate" "" "unknown command 'frobnicate'"

# seeds are decimal, whatever they look like: 010 is ten, not eight
sr() { yes 0.3 | head -n 500 | $M quantize --format e4m3 --rounding sr:8 "$@" | md5sum; }
s10=$(sr --seed 10) s010=$(sr --seed 010) s8=$(sr --seed 8)
[ "$s10" = "$s010" ] && ok || bad "--seed 010 differs from --seed 10"
[ "$s10" != "$s8" ] && ok || bad "--seed 010 reads as octal 8"
[ "$(sr --seed=10)" = "$s10" ] && ok || bad "--seed=10 differs from --seed 10"
[ "$(sr --seed 0)" = "$(sr)" ] && ok || bad "the default seed is not 0"
sr --seed 18446744073709551615 >/dev/null && ok || bad "--seed 2^64-1 refused"
for v in 12x 0x10 -3 +3 " 3" "" 1e3 18446744073709551616 99999999999999999999; do
	err=$(echo 1 | $M quantize --format e4m3 --seed "$v" 2>&1 >/dev/null)
	rc=$?
	[ $rc -eq 2 ] || bad "--seed '$v': exit $rc, want 2"
	[ "$err" = "metriq quantize: --seed: '$v' is not a decimal integer in 0..18446744073709551615" ] \
		&& ok || bad "--seed '$v': message '$err'"
done
# --opt=value, --, flags with values, stray arguments
expect_out "--format=e4m3 --overflow=ieee" "500 0.1" "nan 0.1015625"
expect_out "--codes --format e4m3 --" "1" "0x38"
expect_err "quantize --format e4m3 -- --codes" "1" "unexpected argument '--codes'"
expect_err "quantize --format e4m3 --codes=1" "1" "option '--codes' takes no value"
expect_err "quantize --format e4m3 --seed" "1" "option '--seed' needs a value"
expect_err "quantize --format e4m3 extra" "1" "unexpected argument 'extra'"
expect_err "formats --bogus" "" "metriq formats: unknown option '--bogus'"
expect_err "plot --bogus fig4" "" "metriq plot: unknown option '--bogus'"

# every command's --help comes from its option table; 'metriq help CMD' is
# the same text; 'metriq help' lists the commands
for c in formats quantize plot compare bench; do
	h=$($M $c --help) && ok || bad "$c --help: non-zero exit"
	case "$h" in "usage: metriq $c"*"options:"*"-h, --help"*) ok ;; *) bad "$c --help: '$h'" ;; esac
	[ "$($M help $c)" = "$h" ] && ok || bad "metriq help $c differs from $c --help"
done
case "$($M quantize --help)" in *"--seed N "*"(decimal)"*) ok ;; *) bad "quantize --help: no --seed" ;; esac
l=$($M help) && ok || bad "metriq help: non-zero exit"
[ "$($M --help)" = "$l" ] && ok || bad "metriq --help differs from metriq help"
for c in formats quantize advise run merge plot compare bench; do
	case "$l" in *"  $c "*) ok ;; *) bad "metriq help does not list $c" ;; esac
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
