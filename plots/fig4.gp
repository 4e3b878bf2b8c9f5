# Fig. 4: mean backward error of the quantized matmul Q(L, R) against the
# Student-t tail parameter nu, one panel per granularity, one curve per
# format (colour) and rounding (solid: rtne, dashed: sr), log y.
# Usage: gnuplot -e "data='DIR/fig4_backward_error.csv'; out='DIR/fig4.png'" plots/fig4.gp
# metriq-data: fig4_backward_error.csv
# Optional: stat='be_mean' (or be_median, be_p99, be_max), grans, formats,
# roundings (space separated; default: those in the data).  Columns are found by name in the header;
# rows may come in any order (each curve is sorted by nu: smooth unique).
if (!exists("data")) data = 'results/paper/fig4/fig4_backward_error.csv'
if (!exists("out")) out = 'fig4.png'
if (!exists("stat")) stat = 'be_mean'
set datafile separator ','
set datafile columnheaders
# The granularities, formats and roundings present in the data, in order of
# appearance, unless given: a run over a subset draws what it has.
seen(list, s) = (strstrt(list, ' '.s.' ') == 0) ? list.s.' ' : list
fg = ' '; ff = ' '; fr = ' '
stats data using (fg = seen(fg, strcol('granularity')), ff = seen(ff, strcol('format')), \
                  fr = seen(fr, strcol('rounding')), 1) nooutput
if (!exists("grans")) grans = fg
if (!exists("formats")) formats = ff
if (!exists("roundings")) roundings = fr
npanel = words(grans)
# one y range for every panel, in whole decades, so panels compare by eye
stats data using (column(stat) > 0 ? column(stat) : NaN) nooutput
ylo = 10**floor(log10(STATS_min)); yhi = 10**ceil(log10(STATS_max))
pretty(s) = s eq 'be_mean' ? 'mean' : s eq 'be_median' ? 'median' : s eq 'be_p99' ? '99th percentile' : s eq 'be_max' ? 'maximum' : s
if (!exists("term")) term = (out[strlen(out)-3:] eq '.svg') ? 'svg' : 'png'
if (term eq 'svg') {
    set terminal svg size 420*npanel+120,520 dynamic font 'Sans,12'
} else {
    set terminal pngcairo size 520*npanel+120,620 font 'Sans,12'
}
set output out
colors = '#1f77b4 #d62728 #2ca02c #9467bd #ff7f0e #8c564b'
# nu = inf (the normal distribution) is drawn at nu_inf, labelled with the infinity sign
nu_inf = 300.0
nux(s) = (s eq 'inf' || s eq 'Inf') ? nu_inf : real(s)
set logscale xy
set xrange [0.8:nu_inf*1.4]
set xtics ('1' 1, '2' 2, '5' 5, '10' 10, '20' 20, '50' 50, '100' 100, '∞' nu_inf)
set format y '10^{%L}'
set grid xtics ytics lc rgb '#dddddd'
set xlabel 'Student-t ν (heavier tails to the left)'
set key top right box opaque font ',10'
# One datablock, one index per (granularity, format, rounding) curve: rows
# may come in any order in the file, and a filtered-out row must not break
# a curve's line (gnuplot breaks lines at undefined points).
nf = words(formats); nr = words(roundings)
curve(g, i, j) = ((g - 1) * nf + (i - 1)) * nr + (j - 1)
array C[npanel * nf * nr]
$D << EOD
EOD
do for [g = 1:npanel] {
    do for [i = 1:nf] {
        do for [j = 1:nr] {
            stats data using ((strcol('format') eq word(formats, i) && strcol('granularity') eq word(grans, g) \
                    && strcol('rounding') eq word(roundings, j)) ? 1 : 0) nooutput
            C[curve(g, i, j) + 1] = STATS_sum
            set table $D append
            plot data using (nux(strcol('nu'))):(column(stat)) with table \
                if (strcol('format') eq word(formats, i) && strcol('granularity') eq word(grans, g) \
                    && strcol('rounding') eq word(roundings, j))
            unset table
            set print $D append
            print ""
            print ""
            unset print
        }
    }
}
# the datablock is whitespace-separated, without a header
set datafile separator whitespace
set datafile nocolumnheaders
set yrange [ylo:yhi]  # only now: stats above would obey it
set multiplot layout 1, npanel title sprintf('Backward error |LR - Q(L,R)| / (|L||R|), %s over elements, Student-t inputs', pretty(stat))
do for [g = 1:npanel] {
    gran = word(grans, g)
    set title gran
    if (g == 1) { set ylabel sprintf('%s backward error', pretty(stat)) } else { unset ylabel }
    cmd = ''
    do for [i = 1:nf] {
        do for [j = 1:nr] {
            if (C[curve(g, i, j) + 1] > 0) {
                cmd = cmd.sprintf("$D index %d using 1:2 smooth unique with linespoints lw 1.6 pt 7 ps 0.6 dt %d lc rgb '%s' title '%s %s', ", \
                                  curve(g, i, j), j, word(colors, i), word(formats, i), word(roundings, j))
            }
        }
    }
    eval('plot '.cmd[1:strlen(cmd) - 2])
}
unset multiplot
