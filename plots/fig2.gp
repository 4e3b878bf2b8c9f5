# Fig. 2: distributions of the tensors entering a matmul: a histogram of the
# values (top) and of log2|x| (bottom) per tensor, with its moments.
# metriq-data: fig2_histograms.csv
# Usage: gnuplot -e "data='DIR/fig2_histograms.csv'; out='DIR/fig2.png'" plots/fig2.gp
# The moments are read from fig2_moments.csv beside the data file (or the
# variable moments='...').
if (!exists("data")) data = 'results/paper/fig2/fig2_histograms.csv'
if (!exists("out")) out = 'fig2.png'
if (!exists("moments")) moments = data[1:strstrt(data, 'fig2_histograms.csv')-1].'fig2_moments.csv'
if (!exists("tensors")) tensors = 'weights activations gradients'
if (!exists("term")) term = (out[strlen(out)-3:] eq '.svg') ? 'svg' : 'png'
nt = words(tensors)
if (term eq 'svg') {
    set terminal svg size 400*nt+80,680 dynamic font 'Sans,11'
} else {
    set terminal pngcairo size 480*nt+100,820 font 'Sans,11'
}
set output out
set datafile separator ','
set datafile columnheaders
colors = '#1f77b4 #d62728 #2ca02c #9467bd #ff7f0e'
set style fill solid 0.55 noborder
set grid ytics lc rgb '#e0e0e0'
set multiplot layout 2, nt title 'Distributions of matmul inputs (synthetic stand-ins; top: values, bottom: log_2|x|)'
do for [row = 1:2] {
    kind = row == 1 ? 'linear' : 'log2'
    do for [i = 1:nt] {
        t = word(tensors, i)
        stats moments using (strcol('tensor') eq t ? column('kurtosis') : NaN) nooutput
        kurt = STATS_max
        stats moments using (strcol('tensor') eq t ? column('skew') : NaN) nooutput
        skew = STATS_max
        stats moments using (strcol('tensor') eq t ? column('variance') : NaN) nooutput
        var = STATS_max
        stats moments using (strcol('tensor') eq t ? column('mean') : NaN) nooutput
        mu = STATS_max
        sq = ''
        do for [f in 'int8 e4m3 e5m2'] {
            stats moments using (strcol('tensor') eq t ? column('sqnr_'.f) : NaN) nooutput
            sq = sq.sprintf('  %s %.1f', f, STATS_max)
        }
        if (row == 1) {
            set title sprintf("%s\nmean %.3g  var %.3g  skew %.3g  ex. kurtosis %.3g\nSQNR dB (tensor scale):%s", t, mu, var, skew, kurt, sq)
            set xlabel 'x'
        } else {
            unset title
            set xlabel 'log_2 |x|'
        }
        set ylabel (i == 1 ? 'density' : '')
        set logscale y
        set format y '10^{%L}'
        plot data using ((strcol('tensor') eq t && strcol('scale') eq kind && column('count') > 0) ? \
              (column('bin_lo') + column('bin_hi')) / 2 : NaN):(column('density')):(column('bin_hi') - column('bin_lo')) \
              with boxes lc rgb word(colors, i) notitle
        unset logscale y
        set format y '%g'
    }
}
unset multiplot
