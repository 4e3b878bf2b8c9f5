#!/usr/bin/env bash
# The installed tree: `cmake --install` of the built tree into a scratch
# prefix, which is then moved (nothing may depend on where it was put);
# its layout, libmetriq's exports and SONAME, every public header compiled
# from include/metriq alone, examples/quantize_matmul.c built through
# `pkg-config metriq` (shared and static) and its numbers checked against
# the installed metriq; then the installed metriq run from outside the
# source tree: plots and experiments must come from share/metriq.
set -u
BUILD=${1:?usage: install_test.sh BUILD SRC WORK LIBDIR CC [CFLAGS]}
SRC=${2:?} WORK=${3:?} LIBDIR=${4:?} CC=${5:?} CFLAGS=${6:-}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
# check "what" COMMAND...: the command must succeed
check() { local what=$1; shift; if "$@"; then ok; else bad "$what"; fi; }

rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
cmake --install "$BUILD" --prefix "$WORK/stage" >"$WORK/install.log" 2>&1 ||
	{ cat "$WORK/install.log" >&2; echo "FAIL: cmake --install" >&2; exit 1; }
mv "$WORK/stage" "$WORK/moved" || exit 1
P=$(cd "$WORK/moved" && pwd -P) # /proc/self/exe reports resolved paths
B=$P/bin/metriq
cd "$WORK" || exit 1 # the source tree is not the working directory from here on

# ---- layout ----
for f in include/metriq/metriq.h include/metriq/tensorfile.h "$LIBDIR/libmetriq.a" \
	"$LIBDIR/pkgconfig/metriq.pc" bin/metriq share/metriq/plots/fig4.gp \
	share/metriq/experiments/example.lua; do
	check "installed $f" test -f "$P/$f"
done
check "libmetriq.so is a link" test -L "$P/$LIBDIR/libmetriq.so"
soname=$(objdump -p "$P/$LIBDIR/libmetriq.so" | awk '$1 == "SONAME" {print $2}')
check "SONAME '$soname', want libmetriq.so.0" test "$soname" = libmetriq.so.0
# public C symbols are prefixed mq_ (STYLE.md): the library exports no other
others=$(nm -D --defined-only "$P/$LIBDIR/libmetriq.so" | awk '$3 !~ /^mq_/ {print $3}' | tr '\n' ' ')
check "libmetriq.so exports non-mq_ symbols: $others" test -z "$others"
check "libmetriq.so exports mq_qmatmul" \
	bash -c "nm -D --defined-only '$P/$LIBDIR/libmetriq.so' | grep -qw mq_qmatmul"

# ---- every public header compiles on its own from the installed tree ----
for h in "$P"/include/metriq/*.h; do
	n=${h##*/}
	check "header metriq/$n alone" bash -c "echo '#include <metriq/$n>' |
		'$CC' -std=c11 -Wall -Wextra -Werror -fsyntax-only -I'$P/include' -x c -"
done

# ---- the example through pkg-config: shared, then static ----
export PKG_CONFIG_PATH=$P/$LIBDIR/pkgconfig
EX=$SRC/examples/quantize_matmul.c
libs=$(pkg-config --libs metriq) && cflags=$(pkg-config --cflags metriq) ||
	{ echo "FAIL: pkg-config metriq" >&2; exit 1; }
# shellcheck disable=SC2086 # word splitting of the flags is intended
"$CC" -std=c11 -Wall -Wextra -Werror $CFLAGS $cflags "$EX" $libs -o qm_shared ||
	{ echo "FAIL: example against libmetriq.so" >&2; exit 1; }
# --static gives Libs.private and Requires.private; -l:libmetriq.a takes
# the archive where -lmetriq would find the .so beside it
slibs=$(pkg-config --static --libs metriq)
# shellcheck disable=SC2086
"$CC" -std=c11 $CFLAGS $cflags "$EX" ${slibs/-lmetriq/-l:libmetriq.a} -o qm_static ||
	{ echo "FAIL: example against libmetriq.a with pkg-config --static" >&2; exit 1; }
check "qm_shared needs libmetriq.so.0" bash -c "objdump -p qm_shared | grep -q 'NEEDED.*libmetriq.so.0'"
check "qm_static needs no libmetriq.so" bash -c "! objdump -p qm_static | grep -q 'NEEDED.*libmetriq'"
out=$(LD_LIBRARY_PATH=$P/$LIBDIR ./qm_shared) || bad "qm_shared failed"
check "qm_static prints what qm_shared prints" test "$(./qm_static)" = "$out"

# the quantized buffer, as `metriq quantize` makes it
pairs=$(printf '%s\n' "$out" | sed -n '/^e4m3, rtne/,/^Q(L/p' | sed '1d;$d')
want=$(printf '%s\n' "$pairs" | awk '{print $1}' | "$B" quantize --format e4m3)
got=$(printf '%s\n' "$pairs" | awk '{print $2}')
check "example has quantized values" test "$(printf '%s\n' "$pairs" | wc -l)" -ge 8
check "example's q(x) [$got] is metriq quantize's [$want]" test "$got" = "$want"

# the backward error: the same L and R through the installed metriq's Lua,
# and within Eq. 3's bound for exact sums of e4m3 products, 2u + u^2
cat >be.lua <<'EOF'
local function entry(i, j, row) return ((7 * i + 3 * j) % 11 - 5) / (1 + (i + j) % 4) * row end
local M, K, N = 32, 48, 24
local L, R = {}, {}
for i = 0, M - 1 do L[i + 1] = {} for k = 0, K - 1 do L[i + 1][k + 1] = entry(i, k, 3 + i % 7) end end
for k = 0, K - 1 do R[k + 1] = {} for j = 0, N - 1 do R[k + 1][j + 1] = entry(j + 1, 2 * k, 2 + j % 5) end end
L, R = metriq.tensor(L), metriq.tensor(R)
local Q = metriq.qmatmul(L, R, {format = "e4m3", granularity = "channel", accum = "exact"})
local s = metriq.summary(metriq.backward_error(L, R, Q))
print(string.format("%.17g %.17g", s.mean, s.max))
EOF
lua_be=$("$B" run be.lua --out be-out --quiet --threads 1) || bad "metriq run be.lua"
c_be=$(printf '%s\n' "$out" | awk '/^backward error/ {print $4, $6}')
check "backward error: example '$c_be', metriq '$lua_be'" awk -v a="$c_be" -v b="$lua_be" 'BEGIN {
	split(a, x, " "); split(b, y, " ")
	for (i = 1; i <= 2; i++) { d = x[i] - y[i]; if (d < 0) d = -d; if (!(d <= 1e-8 * y[i])) exit 1 }
	u = 2^-4; exit !(x[1] > 0 && x[1] < x[2] && x[2] <= 2 * u + u * u) }'

# ---- the installed metriq finds share/metriq, not the source tree ----
help=$("$B" plot --help)
case "$help" in *"$P/share/metriq/plots"*) ok ;; *) bad "plot --help names '$help', want $P/share/metriq/plots" ;; esac
mkdir -p fig4 && cp "$SRC/results/paper/fig4/fig4_backward_error.csv" fig4/ || exit 1
check "installed metriq plot fig4" "$B" plot fig4 fig4
check "fig4.png and .svg" test -s fig4/fig4.png -a -s fig4/fig4.svg
# a figure gone from the install is gone, though the source tree has it
rm "$P/share/metriq/plots/fig3.gp"
err=$("$B" plot fig3 fig4 2>&1) && bad "plot fig3 without the installed fig3.gp succeeded"
case "$err" in *"$P/share/metriq/plots/fig3.gp"*) ok ;; *) bad "plot fig3: '$err'" ;; esac
# an installed experiment by name, with and without .lua
for name in example example.lua; do
	rm -rf ex
	check "metriq run $name" "$B" run "$name" --set n=16 --set nus=2,inf --out ex --quiet --threads 1
	check "run $name wrote ex/example.csv" test -s ex/example.csv
	check "manifest names the installed script" \
		grep -q "\"script\": \"$P/share/metriq/experiments/example.lua\"" ex/manifest.json
done
err=$("$B" run nosuch --quiet 2>&1) && bad "metriq run nosuch succeeded"
case "$err" in *"cannot read 'nosuch'"*) ok ;; *) bad "run nosuch: '$err'" ;; esac
# the build tree's metriq still takes the source tree's plots and experiments
case "$("$BUILD/metriq" plot --help)" in *"$SRC/plots"*) ok ;; *) bad "build/metriq plot --help" ;; esac
rm -rf ex
check "build/metriq run example" "$BUILD/metriq" run example --set n=16 --set nus=inf --out ex --quiet --threads 1
check "build/metriq ran the source tree's example.lua" \
	grep -q "\"script\": \"$SRC/experiments/example.lua\"" ex/manifest.json

echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
