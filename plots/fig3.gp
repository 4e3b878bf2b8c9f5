# Fig. 3: relative error |v - q(v)| / |v| (Eq. 2) against |v|, one colour per
# format: the error of each value (thin) and its envelope, the worst error
# within an eighth of an octave (thick).  Dotted verticals mark each format's
# smallest normal (left of it: subnormals, then flush to zero) and its
# largest value (right of it: saturation).
# metriq-data: fig3_relative_error.csv
# Usage: gnuplot -e "data='DIR/fig3_relative_error.csv'; out='DIR/fig3.png'" plots/fig3.gp
# Optional: rounding='rtne', formats='int8 e4m3 e5m2', ranges='DIR/fig3_ranges.csv'.
if (!exists("data")) data = 'results/paper/fig3/fig3_relative_error.csv'
if (!exists("out")) out = 'fig3.png'
if (!exists("rounding")) rounding = 'rtne'
if (!exists("formats")) formats = 'int8 e4m3 e5m2'
if (!exists("ranges")) ranges = data[1:strstrt(data, 'fig3_relative_error.csv')-1].'fig3_ranges.csv'
if (!exists("term")) term = (out[strlen(out)-3:] eq '.svg') ? 'svg' : 'png'
if (term eq 'svg') {
    set terminal svg size 980,600 dynamic font 'Sans,13'
} else {
    set terminal pngcairo size 1300,800 font 'Sans,14'
}
set output out
set datafile separator ','
set datafile columnheaders
colors = '#1f77b4 #d62728 #2ca02c #9467bd #ff7f0e #8c564b'
light = '#a0c4e4 #f0a8a8 #a8dca8 #cdb8e0 #ffcc99 #d0b8b0'
# the thresholds, one vertical per format and kind
do for [i = 1:words(formats)] {
    f = word(formats, i)
    stats ranges using (strcol('format') eq f ? column('min_normal') : NaN) nooutput
    set arrow from STATS_max, graph 0 to STATS_max, graph 1 nohead dt 3 lw 1.2 lc rgb word(colors, i)
    stats ranges using (strcol('format') eq f ? column('max') : NaN) nooutput
    set arrow from STATS_max, graph 0 to STATS_max, graph 1 nohead dt 2 lw 1.2 lc rgb word(colors, i)
}
set key bottom right box opaque
set logscale xy
set format x '10^{%L}'
set format y '10^{%L}'
set xlabel 'value |v|'
set ylabel 'relative error |v - q(v)| / |v|'
set yrange [1e-4:3]
set grid xtics ytics lc rgb '#e4e4e4'
set title sprintf("Relative error profile of 8-bit formats (%s, unit scale)\ndotted: smallest normal, dashed: largest value", rounding)
sel(i) = strcol('format') eq word(formats, i) && strcol('rounding') eq rounding
# zero errors (exactly representable values) cannot be drawn on a log axis
plot for [i = 1:words(formats)] data \
        using ((sel(i) && column('rel_error') > 0) ? column('value') : NaN):(column('rel_error')) \
        with lines lw 0.8 lc rgb word(light, i) notitle, \
     for [i = 1:words(formats)] data \
        using (sel(i) ? column('value') : NaN):(column('envelope')) \
        with lines lw 2.4 lc rgb word(colors, i) title word(formats, i)
