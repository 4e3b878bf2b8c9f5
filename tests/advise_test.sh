#!/usr/bin/env bash
# Tests of `metriq advise` on fixtures that advise_gen draws at test time:
# normal weights are advised INT8 (in every reader path: float32 C order,
# float16 Fortran order, bfloat16 as int16), log-normal-magnitude gradients
# an FP8 format; the CSV files; bad files and bad options give a message
# naming the file and the problem and a non-zero exit.
# usage: advise_test.sh METRIQ ADVISE_GEN WORKDIR
set -u
M=${1:?usage: advise_test.sh metriq advise_gen workdir}
GEN=${2:?}
W=${3:?}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

rm -rf "$W" && mkdir -p "$W/in" || exit 1
"$GEN" "$W/in" || { echo "advise_gen failed" >&2; exit 1; }
I=$W/in

# field NAME of the CSV row whose first field is TENSOR (no quoted commas here)
field() { # file tensor column
	awk -F, -v t="$2" -v c="$3" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$1 == t { print $(col[c]) }' "$1"
}

# expect_advice "ARGS" TENSOR "FORMAT-REGEX"
expect_advice() {
	local out rc got
	rm -rf "$W/out"
	out=$($M advise $1 --out "$W/out" 2>"$W/err")
	rc=$?
	[ $rc -eq 0 ] || { bad "advise $1: exit $rc: $(cat "$W/err")"; return; }
	got=$(field "$W/out/advice.csv" "$2" format)
	[[ "$got" =~ ^($3)$ ]] && ok || bad "advise $1: tensor $2 advised '$got', want $3"
}

# 1. normal weights: INT8, whatever the file's dtype and order, at every granularity
expect_advice "$I/weights.npy" weights int8
expect_advice "$I/weights_f16_fortran.npy" weights_f16_fortran int8
expect_advice "$I/weights_bf16_i2.npy --int16-as-bf16" weights_bf16_i2 int8
expect_advice "$I/weights.npy --granularity channel" weights int8
expect_advice "$I/weights.npy --granularity block:32 --role rhs" weights int8
# 2. heavy-tailed gradients: an FP8 format; the I64 tensor is skipped with a note
expect_advice "$I/grads.safetensors" grad.bf16 "e4m3|e5m2"
expect_advice "$I/grads.safetensors" grad.f32 "e4m3|e5m2"
grep -q "position_ids' (I64): dtype is not a float format" "$W/err" && ok ||
	bad "no note on the skipped I64 tensor: $(cat "$W/err")"

# 3. the CSV files: headers, one advice row per tensor, every candidate in metrics.csv
$M advise "$I/weights.npy" "$I/grads.safetensors" --out "$W/out" >"$W/stdout" 2>/dev/null ||
	bad "advise of two files failed"
h=$(head -1 "$W/out/advice.csv")
[[ "$h" == tensor,format,granularity,rounding,sqnr_db,underflow_frac,clip_share,* ]] && ok ||
	bad "advice.csv header: $h"
[ "$(wc -l <"$W/out/advice.csv")" -eq 4 ] && ok || bad "advice.csv rows: $(wc -l <"$W/out/advice.csv")"
[ "$(wc -l <"$W/out/metrics.csv")" -eq 19 ] && ok || bad "metrics.csv rows (3 tensors x 6 + 1)"
[ "$(awk -F, 'NR > 1 && $NF == 1' "$W/out/metrics.csv" | wc -l)" -eq 3 ] && ok ||
	bad "metrics.csv: one recommended row per tensor"
ls "$W/out" | grep -q tmp && bad "a .tmp file was left in --out" || ok
s=$(field "$W/out/advice.csv" weights sqnr_db)
awk -v s="$s" 'BEGIN { exit !(s > 38 && s < 42) }' && ok || bad "weights int8 sqnr $s (expect ~40 dB)"
grep -q "advice: int8 rtne (best SQNR within budgets)" "$W/stdout" && ok || bad "stdout advice line"
grep -q "^summary (tensor granularity):" "$W/stdout" && ok || bad "stdout summary table"
# INT8 on the gradients flushes most values: over the underflow budget
u=$(awk -F, '$1 == "grad.bf16" && $6 == "int8" && $7 == "rtne" { print $14 }' "$W/out/metrics.csv")
awk -v u="$u" 'BEGIN { exit !(u > 0.5) }' && ok || bad "grad.bf16 int8 underflow $u (expect most)"
# tail index (Hill): about 3 for Student-t(3), large for normal weights
$M advise "$I/t3.npy" --out "$W/t3" >/dev/null 2>&1
a=$(field "$W/t3/advice.csv" t3 tail_index)
awk -v a="$a" 'BEGIN { exit !(a > 2.5 && a < 3.6) }' && ok || bad "t(3) tail index $a"
a=$(field "$W/out/advice.csv" weights tail_index)
awk -v a="$a" 'BEGIN { exit !(a > 6) }' && ok || bad "normal tail index $a"
# the same input gives the same files (SR is seeded)
cp "$W/out/metrics.csv" "$W/m1.csv"
$M advise "$I/weights.npy" "$I/grads.safetensors" --out "$W/out" >/dev/null 2>&1
cmp -s "$W/m1.csv" "$W/out/metrics.csv" && ok || bad "metrics.csv differs between two runs"
# a candidate list of SR only still finds INT8; a budget of 0 forces the fallback
expect_advice "$I/weights.npy --roundings sr" weights int8
grep -q "no candidate within budgets" <($M advise "$I/grads.safetensors" --formats int8 --underflow-budget 0 2>/dev/null) &&
	ok || bad "--underflow-budget 0: fallback reason"

# expect_err "ARGS" "substring of the message"
expect_err() {
	local err rc
	err=$($M advise $1 2>&1 >/dev/null)
	rc=$?
	[ $rc -eq 2 ] || bad "advise $1: exit $rc, want 2"
	case "$err" in *"$2"*) ok ;; *) bad "advise $1: message '$err' lacks '$2'" ;; esac
}
expect_err "$I/truncated.npy" "$I/truncated.npy: truncated: 131072 elements of '<f4' need 524288 bytes, the file has 1000"
expect_err "$I/garbage.bin" "$I/garbage.bin: neither a .npy file"
expect_err "$I/int64.npy" "$I/int64.npy: unsupported dtype '<i8'"
expect_err "$I/nan.npy" "tensor 'nan' has 1 NaN and 1 infinite values of 4"
expect_err "$I/missing.npy" "$I/missing.npy: No such file or directory"
expect_err "$I" "$I: is a directory"
expect_err "$I/weights.npy --max-bytes 4K" "over the size cap of 4096 bytes (raise it with --max-bytes)"
expect_err "$I/weights_bf16_i2.npy" "read it with the int16-as-bf16 option"
expect_err "$I/no_tensors.safetensors" "no float tensor in the input"
expect_err "" "no input files"
expect_err "$I/weights.npy --granularity rows" "unknown granularity 'rows'"
expect_err "$I/weights.npy --role middle" "unknown role 'middle'"
expect_err "$I/weights.npy --formats int8,e9m9" "unknown format 'e9m9'"
expect_err "$I/weights.npy --formats e8m0" "'e8m0' is a scale format"
expect_err "$I/weights.npy --roundings rtne,up" "unknown rounding 'up'"
expect_err "$I/weights.npy --underflow-budget 2" "not a fraction in [0, 1]"
expect_err "$I/weights.npy --max-bytes lots" "--max-bytes: 'lots' is not a size"
expect_err "$I/weights.npy --bogus" "unknown option '--bogus'"
expect_err "$I/weights.npy --out" "option '--out' needs a value"
# a bad file among good ones: the good ones are still advised, the exit says 2
rm -rf "$W/out"
$M advise "$I/garbage.bin" "$I/weights.npy" --out "$W/out" >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] && [ "$(field "$W/out/advice.csv" weights format)" = int8 ] && ok ||
	bad "bad + good file: exit $rc, advice.csv $(cat "$W/out/advice.csv" 2>&1)"
$M advise --help | grep -q "usage: metriq advise FILE" && ok || bad "--help"

echo "advise: $pass passed, $fail failed"
[ $fail -eq 0 ]
