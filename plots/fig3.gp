# Fig. 3: relative error |v - q(v)| / |v| against |v|, one curve per format.
# Usage: gnuplot -e "data='DIR/fig3_relative_error.csv'; out='DIR/fig3.png'" plots/fig3.gp
# Optional: rounding='rtne' (which rows to draw), formats='int8 e4m3 e5m2'.
# An output name ending in .svg gives SVG; anything else PNG (pngcairo).
if (!exists("data")) data = 'results/paper/fig3_relative_error.csv'
if (!exists("out")) out = 'fig3.png'
if (!exists("rounding")) rounding = 'rtne'
if (!exists("formats")) formats = 'int8 e4m3 e5m2'
if (out[strlen(out)-3:] eq '.svg') {
    set terminal svg size 900,560 dynamic font 'Sans,13'
} else {
    set terminal pngcairo size 1200,750 font 'Sans,13'
}
set output out
set datafile separator ','
set datafile columnheaders
set key top right box opaque
set logscale xy
set format x '10^{%L}'
set format y '10^{%L}'
set xlabel 'value |v|'
set ylabel 'relative error |v - q(v)| / |v|'
set yrange [1e-4:2]
set grid xtics ytics mxtics lc rgb '#dddddd'
set title sprintf('Relative error profile of 8-bit formats (%s, unit scale)', rounding)
colors = '#1f77b4 #d62728 #2ca02c #9467bd #ff7f0e #8c564b'
# rows with zero error (exactly representable values) cannot be shown on a
# log axis and are skipped; the envelope of the rest is the error profile
plot for [i=1:words(formats)] data \
    using ((strcol('format') eq word(formats, i) && strcol('rounding') eq rounding && column('rel_error') > 0) ? column('value') : NaN):(column('rel_error')) \
    with lines lw 1.6 lc rgb word(colors, i) title word(formats, i)
