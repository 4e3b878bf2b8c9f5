# Table I as a heatmap: the mean over seeds of each configuration's AUC of
# the held-out accuracy (experiments/table1_training.lua), in the paper's
# layout: a column per (category, rounding, format), a row per granularity;
# 'x' where nothing was run.  Each cell is labelled with its mean and
# coloured by its difference from the baseline's mean (in the title) on a
# scale symmetric about zero: red below the baseline, blue above.
# Usage: gnuplot -e "data='DIR/table1_training.csv'; out='DIR/table1.png'" plots/table1.gp
# metriq-data: table1_training.csv
# Optional: stat='final_acc' (default 'auc').  Columns are found by name in
# the header; rows may come in any order.
if (!exists("data")) data = 'results/table1/table1_training.csv'
if (!exists("out")) out = 'table1.png'
if (!exists("stat")) stat = 'auc'
if (!exists("term")) term = (out[strlen(out)-3:] eq '.svg') ? 'svg' : 'png'
set datafile separator ','
set datafile columnheaders

groups = 'rhs:rtne lhs:rtne grad:rtne grad:sr'
gnames = 'RHS(RTNE) LHS(RTNE) gradient(RTNE) gradient(SR)'
formats = 'int8 e4m3 e5m2'
grans = 'tensor channel fine'
gcat(g) = g[1:strstrt(g, ':') - 1]
grnd(g) = g[strstrt(g, ':') + 1:]
nf = words(formats); ng = words(grans)

# The baseline: rows of category 'baseline' (any format, the base precision)
stats data using (strcol('category') eq 'baseline' ? 1 : 0) nooutput
nbase = STATS_sum
if (nbase > 0) {
    stats data using (strcol('category') eq 'baseline' ? column(stat) : NaN) nooutput
    base = STATS_mean
}

# One line per cell: x, y, mean (NaN where no run), count
set print $H
do for [gi = 1:words(groups)] {
    do for [fi = 1:nf] {
        do for [ri = 1:ng] {
            g = word(groups, gi); f = word(formats, fi); gr = word(grans, ri)
            stats data using ((strcol('category') eq gcat(g) && strcol('format') eq f && \
                               strcol('granularity') eq gr && strcol('rounding') eq grnd(g)) ? 1 : 0) nooutput
            n = STATS_sum
            m = NaN
            if (n > 0) {
                stats data using ((strcol('category') eq gcat(g) && strcol('format') eq f && \
                                   strcol('granularity') eq gr && strcol('rounding') eq grnd(g)) ? column(stat) : NaN) nooutput
                m = STATS_mean
            }
            print sprintf("%d %d %.17g %d", (gi - 1) * nf + fi, ng + 1 - ri, m, n)
        }
    }
}
unset print

if (term eq 'svg') {
    set terminal svg size 1100,440 dynamic font 'Sans,12'
} else {
    set terminal pngcairo size 1200,480 font 'Sans,12'
}
set output out
set datafile separator whitespace
set datafile nocolumnheaders
pretty = stat eq 'auc' ? 'AUC of the held-out accuracy' : stat eq 'final_acc' ? 'final held-out accuracy' : stat
# colour: the difference from the baseline (or the value, without one)
ref = nbase > 0 ? base : 0
stats $H using ($4 > 0 ? abs($3 - ref) : NaN) nooutput
span = STATS_max > 0 ? STATS_max : 1
if (nbase > 0) {
    set title sprintf("%s, mean over seeds; colour: difference from the baseline %.3f (mean of %d)", pretty, base, nbase)
    set cbrange [-span:span]
    set cblabel 'difference from the baseline'
    set palette defined (-1 '#b2182b', -0.5 '#ef8a62', 0 '#f7f7f7', 0.5 '#67a9cf', 1 '#2166ac')
} else {
    set title sprintf("%s, mean over seeds", pretty)
    set cblabel pretty
    set palette defined (0 '#b2182b', 0.5 '#fddbc7', 1 '#f7f7f7')
}
set xrange [0.5:words(groups) * nf + 0.5]
set yrange [0.5:ng + 0.5]
set xtics () scale 0
set ytics () scale 0
do for [gi = 1:words(groups)] {
    do for [fi = 1:nf] {
        set xtics add (word(formats, fi) (gi - 1) * nf + fi)
    }
    set label word(gnames, gi) at (gi - 1) * nf + (nf + 1) / 2.0, graph -0.12 center
    if (gi > 1) { set arrow from (gi - 1) * nf + 0.5, graph 0 to (gi - 1) * nf + 0.5, graph 1 nohead lw 3 lc rgb 'white' front }
}
do for [ri = 1:ng] {
    set ytics add (word(grans, ri) ng + 1 - ri)
}
set bmargin 5
unset key
set style fill solid 1.0 noborder
plot $H using 1:2:(0.5):(0.5):($4 > 0 ? $3 - ref : NaN) with boxxyerror fc palette, \
     $H using 1:2:($4 > 0 ? sprintf('%.2f', $3) : 'x') with labels font ',11'
