#!/bin/bash
# reliability_test.sh METRIQ SRC OUT CASE: issue 15's promises (README,
# Reliability), one CASE per ctest: lock, empty_out, signals, exit, xfsz,
# stdout, quantize_input, plot_path (and those added below).
set -u
metriq=$1 src=$2 out=$3/$4 case=$4
lua=$src/tests/lua
rm -rf "$out" && mkdir -p "$out" && cd "$out" || exit 1
fail=0
bad() { echo "$case: $*"; fail=1; }
# want_rc RC CMD...: run CMD (stderr into err), check its exit status
want_rc() {
  local want=$1; shift
  "$@" 2>err >stdout_file
  local rc=$?
  [ $rc -eq "$want" ] || { bad "exit $rc, want $want: $*"; cat err; }
}
want_err() { grep -qF -- "$1" err || { bad "stderr lacks '$1':"; cat err; }; }
status_of() { grep -m1 -o '"status": "[a-z]*"' "$1/manifest.json"; }
done_cells() { grep -c '"status": "done", "seconds"' "$1/manifest.json"; }
# a tiny float32 .npy of 4 values
npy() {
  /usr/bin/python3 -c 'import struct,sys
h="{'"'"'descr'"'"': '"'"'<f4'"'"', '"'"'fortran_order'"'"': False, '"'"'shape'"'"': (4,), }"
h+=" "*(63-len(h)-10)+"\n"
sys.stdout.buffer.write(b"\x93NUMPY\x01\x00"+struct.pack("<H",len(h))+h.encode()+struct.pack("<4f",1,2,3,4))' > "$1"
}

case $case in
lock)
  # a second run into a held folder is refused by name; the first one's
  # CSV and manifest agree
  (SLOW=60 exec "$metriq" run "$lua/resume.lua" --out d --quiet) & pid=$!
  sleep 0.5
  want_rc 2 "$metriq" run "$lua/resume.lua" --out d --quiet --set n=8
  want_err "metriq run: d is in use by pid $pid on "
  wait $pid || bad "the first run failed"
  rows=$(grep -o '"name": "resume.csv", "bytes": [0-9]*, "rows": [0-9]*' d/manifest.json | grep -o '[0-9]*$')
  lines=$(($(wc -l < d/resume.csv) - 1))
  [ "$rows" = "$lines" ] || bad "manifest says $rows rows, resume.csv holds $lines"
  grep -q '"n":24}' d/manifest.json || bad "the manifest is not the first run's"
  # a lock left by a SIGKILLed run does not block --resume
  (SLOW=60 exec "$metriq" run "$lua/resume.lua" --out k --quiet) & pid=$!
  sleep 0.4; kill -KILL $pid; wait $pid 2>/dev/null
  [ -s k/.metriq.lock ] || bad "no lock file while the killed run held it"
  want_rc 0 "$metriq" run "$lua/resume.lua" --out k --quiet --resume
  # merge's OUT and advise's --out are locked too
  want_rc 0 "$metriq" run "$lua/resume.lua" --out s --quiet --shard 0/1
  mkdir -p m a
  # another process holding the lock (exec: the killed pid is the holder)
  (exec 9>m/.metriq.lock && flock 9 && exec sleep 5) & holder=$!
  sleep 0.3
  want_rc 1 "$metriq" merge --quiet m s/shard-0-of-1
  want_err "metriq merge: m is in use by another process"
  npy t.npy
  (exec 9>a/.metriq.lock && flock 9 && exec sleep 5) & holder2=$!
  sleep 0.3
  want_rc 2 "$metriq" advise t.npy --out a
  want_err "metriq advise: a is in use by"
  [ ! -e a/advice.csv ] || bad "advise wrote into a held folder"
  kill $holder $holder2 2>/dev/null; wait $holder $holder2 2>/dev/null
  want_rc 0 "$metriq" merge --quiet m s/shard-0-of-1
  ;;
empty_out)
  want_rc 2 "$metriq" run "$lua/resume.lua" --out "" --quiet
  want_err "metriq run: --out is empty"
  want_rc 0 "$metriq" run "$lua/resume.lua" --out s --quiet --shard 0/1
  want_rc 2 "$metriq" merge "" s/shard-0-of-1
  want_err "metriq merge: OUT is empty"
  npy t.npy
  want_rc 2 "$metriq" advise t.npy --out ""
  want_err "metriq advise: --out is empty"
  ;;
signals)
  want_rc 0 "$metriq" run "$lua/resume.lua" --out full --quiet
  for sig in TERM HUP INT; do
    (SLOW=100 exec "$metriq" run "$lua/resume.lua" --out $sig --quiet) & pid=$!
    # signal once two cells are recorded done (a loaded machine may need
    # longer than any fixed sleep), then every finished one must be kept
    for _ in $(seq 200); do
      [ "$(done_cells $sig 2>/dev/null)" -ge 2 ] 2>/dev/null && break
      sleep 0.05
    done
    kill -$sig $pid; wait $pid; rc=$?
    want=$((128 + $(kill -l $sig)))
    [ $rc -eq $want ] || bad "SIG$sig: exit $rc, want $want"
    [ "$(status_of $sig)" = '"status": "interrupted"' ] || bad "SIG$sig: manifest $(status_of $sig)"
    grep -q "\"error\": \"interrupted (SIG$sig)\"" $sig/manifest.json || bad "SIG$sig: no error"
    n=$(done_cells $sig)
    [ "$n" -ge 2 ] || bad "SIG$sig: $n cells recorded done, want every finished one (>= 2)"
    want_rc 0 "$metriq" run "$lua/resume.lua" --out $sig --quiet --resume
    cmp -s full/resume.csv $sig/resume.csv || bad "SIG$sig: resumed CSV differs"
  done
  ;;
exit)
  want_rc 0 "$metriq" run "$lua/exit_mid.lua" --out full --quiet
  EXIT_AT=3 want_rc 1 env EXIT_AT=3 "$metriq" run "$lua/exit_mid.lua" --out e --quiet
  want_err "os.exit(0) called with 4 cells not done"
  [ "$(status_of e)" = '"status": "failed"' ] || bad "manifest $(status_of e)"
  [ "$(($(wc -l < e/exit_mid.csv) - 1))" = 2 ] || bad "exit_mid.csv lacks the 2 finished cells"
  want_rc 7 env EXIT_AT=5 EXIT_CODE=7 "$metriq" run "$lua/exit_mid.lua" --out e --quiet --resume
  want_rc 0 "$metriq" run "$lua/exit_mid.lua" --out e --quiet --resume
  cmp -s full/exit_mid.csv e/exit_mid.csv || bad "resumed CSV differs"
  # os.exit(0) once the work is done is a done run
  printf 'metriq.results():write{a = 1}\nos.exit(0)\n' > end.lua
  want_rc 0 "$metriq" run end.lua --out end --quiet
  [ "$(status_of end)" = '"status": "done"' ] || bad "os.exit(0) at the end: $(status_of end)"
  ;;
xfsz)
  (ulimit -f 1; exec "$metriq" run "$lua/resume.lua" --out x --quiet --set n=64) 2>err
  rc=$?
  [ $rc -eq 1 ] || bad "exit $rc under ulimit -f, want 1 (not death by SIGXFSZ, 153)"
  want_err "File too large"
  ls -a x | grep -q '\.tmp$' && bad "a temporary file is left: $(ls -a x)"
  ;;
stdout)
  for args in "formats" "formats --help" "compare --help" "quantize --help" "--help" "run --help"; do
    "$metriq" $args > /dev/full 2>err; rc=$?
    [ $rc -eq 2 ] || bad "metriq $args > /dev/full: exit $rc, want 2"
    want_err "error writing stdout: No space left on device"
  done
  echo 1.5 | "$metriq" quantize --format e4m3 > /dev/full 2>err; rc=$?
  [ $rc -eq 2 ] || bad "quantize > /dev/full: exit $rc"
  ;;
quantize_input)
  printf '1\0002\n' | "$metriq" quantize --format e4m3 > o 2>err; rc=$?
  [ $rc -eq 2 ] || bad "a NUL byte: exit $rc, want 2"
  want_err "input item 1 holds a NUL byte at byte offset 1"
  printf '3 1\0002\n' | "$metriq" quantize --format e4m3 > o 2>err
  want_err "input item 2 holds a NUL byte at byte offset 3"
  long=$(printf '1.%0200d' 0)
  echo "$long" | "$metriq" quantize --format e4m3 > o 2>err || bad "a 202-character numeral: $(cat err)"
  [ "$(cat o)" = 1 ] || bad "a 202-character numeral gave '$(cat o)'"
  printf '1.%05000d\n' 0 | "$metriq" quantize --format e4m3 > o 2>err
  want_err "is too long (more than 4095 characters)"
  ;;
plot_path)
  d=.; for i in 1 2 3 4 5; do d=$d/$(printf 'p%0250d' $i); done
  mkdir -p "$d" && printf 'format,granularity,rounding,nu,be_mean\n' > "$d/fig4_backward_error.csv"
  "$metriq" plot fig4 "$d" 2>err
  grep -q "no data for figure" err && bad "a ${#d}-character folder: $(cat err)"
  ;;
compare_rates)
  # a rate in the file that is not > 0 is named, never printed as a rate
  for v in 1000 -1000; do
    printf '{"context": {"host_name": "h"}, "benchmarks": [{"name": "b", "run_type": "iteration", "real_time": 5, "time_unit": "ns", "items_per_second": %s}]}\n' $v > r$v.json
  done
  want_rc 0 "$metriq" compare r1000.json r1000.json
  grep -q -- "-[0-9]" stdout_file && bad "a negative number in: $(cat stdout_file)"
  want_rc 2 "$metriq" compare r1000.json r-1000.json
  want_err "r-1000.json: benchmark 'b' has items_per_second that is not a number > 0"
  grep -q -- "-1" stdout_file && bad "printed a negative rate: $(cat stdout_file)"
  ;;
cell_coords)
  want_rc 1 "$metriq" run "$lua/cell_coords.lua" --out c --quiet
  want_err "column 'x' is 99 in cell x=1, whose x is 1: a row written in a cell must agree"
  [ "$(grep -c ',1$' c/cell_coords.csv)" = 8 ] || bad "the first grid's 8 rows are not all there"
  ;;
nan)
  # NaN params are recorded as the "\u0000nan" marker (jv.h) and resume
  want_rc 3 env DIE=1 "$metriq" run "$lua/nan_params.lua" --out n --quiet --set x=nan
  /usr/bin/python3 -c 'import json,sys
p = json.load(open(sys.argv[1]))["params"]
assert p == {"clip": "\x00nan", "l": [1, "\x00nan"], "x": "\x00nan"}, p' n/manifest.json ||
    bad "NaN params not recorded as NaN: $(grep params n/manifest.json)"
  want_rc 0 "$metriq" run "$lua/nan_params.lua" --out n --quiet --resume
  [ "$(($(wc -l < n/nan_params.csv) - 1))" = 3 ] || bad "the resumed run lacks rows"
  # a manifest from before the marker (null for NaN) still resumes
  want_rc 3 env DIE=1 "$metriq" run "$lua/nan_params.lua" --out o --quiet
  sed -i 's/"\\u0000nan"/null/g' o/manifest.json
  grep -q '"clip":null' o/manifest.json || bad "could not make the old form"
  want_rc 0 "$metriq" run "$lua/nan_params.lua" --out o --quiet --resume
  ;;
utf8)
  # bytes that are not UTF-8 in --set, --out and the script's path: the
  # manifest is still JSON that Python reads
  mkdir -p "$(printf 'dir\375')"
  cp "$lua/bytes.lua" "$(printf 'dir\375/bytes.lua')"
  set_v=$(printf 's=a\377b\300')
  out_d=$(printf 'out\376')
  want_rc 3 env DIE=1 "$metriq" run "$(printf 'dir\375/bytes.lua')" --out "$out_d" --quiet --set "$set_v"
  /usr/bin/python3 -c 'import json,sys
m = json.load(open(sys.argv[1], encoding="utf-8"))
assert m["set"]["s"] == "a\xffb\xc0", m["set"]
assert m["script"].endswith("dir\xfd/bytes.lua"), m["script"]' "$out_d/manifest.json" ||
    bad "the manifest is not UTF-8 JSON"
  want_rc 0 "$metriq" run "$(printf 'dir\375/bytes.lua')" --out "$out_d" --quiet --set "$set_v" --resume
  grep -q '^2,4$' "$out_d/bytes.csv" || bad "the resumed run lost the bytes: $(cat "$out_d/bytes.csv")"
  ;;
manifest_size)
  # the manifest grows with the cells run: 4 cells of 1000000, a few KB
  want_rc 3 "$metriq" run "$lua/big_grid.lua" --out g --quiet
  size=$(stat -c %s g/manifest.json)
  [ "$size" -lt 8192 ] || bad "manifest.json is $size bytes after 4 cells, want < 8192"
  grep -q '"ncells": 1000000' g/manifest.json || bad "no ncells"
  # and resumes: the cell cut short by os.exit fails, so 3 are done, then
  # 4 more run (that one again first) and 6 are done, with 6 rows
  want_rc 3 "$metriq" run "$lua/big_grid.lua" --out g --quiet --resume
  [ "$(done_cells g)" = 6 ] || bad "$(done_cells g) cells done after the resume, want 6"
  [ "$(($(wc -l < g/big_grid.csv) - 1))" = 6 ] || bad "big_grid.csv: not 6 rows"
  size=$(stat -c %s g/manifest.json)
  [ "$size" -lt 8192 ] || bad "manifest.json is $size bytes after 8 cells"
  ;;
*)
  bad "unknown case"
  ;;
esac
exit $fail
