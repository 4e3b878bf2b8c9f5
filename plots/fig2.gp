# Fig. 2: distributions of the inputs of training's matmuls, from the
# tensors sampled in the fp32 baseline run (experiments/fig2_moments.lua).
# Top two rows, as the paper's Fig. 2 (the query projection): the input X
# (lhs) and the weight W (rhs) of the forward product and the upstream
# gradient dY (grad) of its backward dX = dY.W; values (row 1, log density)
# and log2|x| (row 2), each with its moments and the SQNR of each 8-bit
# format at tensor scale.  Bottom row, every sampled operand at the last
# sampled step, by category: values in units of each operand's own sd,
# log2|x| (raw), and the skew against the excess kurtosis of log2|x| per
# operand, where a normal x sits at (-1.54, 4.0) and a log-normal |x| at
# (0, 0).
# metriq-data: fig2_histograms.csv
# Usage: gnuplot -e "data='DIR/fig2_histograms.csv'; out='DIR/fig2.png'" plots/fig2.gp
# The other files (fig2_moments.csv, fig2_cat_histograms.csv) are read
# beside the data file.
if (!exists("data")) data = 'results/paper/fig2/fig2_histograms.csv'
if (!exists("out")) out = 'fig2.png'
dir = data[1:strstrt(data, 'fig2_histograms.csv')-1]
moments = dir.'fig2_moments.csv'
cathist = dir.'fig2_cat_histograms.csv'
if (!exists("term")) term = (out[strlen(out)-3:] eq '.svg') ? 'svg' : 'png'
if (term eq 'svg') {
    set terminal svg size 1440,1260 dynamic font 'Sans,11'
} else {
    set terminal pngcairo size 1560,1380 font 'Sans,11'
}
set output out
set datafile separator ','
set datafile columnheaders
set datafile missing 'nan'
catcolor(c) = c eq 'lhs' ? 0x1f77b4 : c eq 'rhs' ? 0xd62728 : 0x2ca02c
cats = 'lhs rhs grad'
labels = 'X W dY'
opers = 'A B A'
set style fill solid 0.55 noborder
set grid ytics lc rgb '#e0e0e0'

# the figure's step and layer, from the histograms
stats data using 'step' nooutput
fstep = int(STATS_max)
stats data using 'layer' nooutput
flayer = int(STATS_max)
# the matmul of each panel: X and W of the forward product, dY of dX
stats data using (strcol('tensor') eq 'X' ? 1 : NaN) nooutput
mm = 'attn.qkv'
if (exists("fig_matmul")) mm = fig_matmul
mms = mm.' '.mm.' '.mm.'.dx'

set multiplot layout 3, 3 title sprintf("Distributions of the inputs of the matmuls of training (fp32 baseline, step %d; rows 1-2: layer %d's %s, as the paper's Fig. 2)", fstep, flayer, mm)
do for [row = 1:2] {
    kind = row == 1 ? 'linear' : 'log2'
    do for [i = 1:3] {
        t = word(labels, i)
        c = word(cats, i)
        m = word(mms, i)
        o = word(opers, i)
        sel(col) = (strcol('matmul') eq m && strcol('operand') eq o && column('step') == fstep && \
                    column('layer') == flayer) ? column(col) : NaN
        stats moments using (sel('mean')) nooutput
        mu = STATS_max
        stats moments using (sel('variance')) nooutput
        var = STATS_max
        stats moments using (sel('skew')) nooutput
        skew = STATS_max
        stats moments using (sel('kurtosis')) nooutput
        kurt = STATS_max
        stats moments using (sel('lg_skew')) nooutput
        lgskew = STATS_max
        stats moments using (sel('lg_kurtosis')) nooutput
        lgkurt = STATS_max
        stats moments using (sel('lg_sd')) nooutput
        lgsd = STATS_max
        sq = ''
        do for [f in 'int8 e4m3 e5m2'] {
            stats moments using (sel('sqnr_'.f)) nooutput
            sq = sq.sprintf('  %s %.1f', f, STATS_max)
        }
        if (row == 1) {
            set title sprintf("%s (%s, %s operand %s)\nmean %.3g  var %.3g  skew %.3g  ex. kurtosis %.3g\nSQNR dB, tensor scale:%s", t, c, m, o, mu, var, skew, kurt, sq) textcolor rgb '#000000'
            set xlabel 'x'
            set logscale y
            set format y '10^{%L}'
        } else {
            set title sprintf("log_2|x| of %s: sd %.2f  skew %.2f  ex. kurtosis %.2f", t, lgsd, lgskew, lgkurt)
            set xlabel 'log_2 |x|'
            unset logscale y
            set format y '%g'
        }
        set ylabel (i == 1 ? 'density' : '')
        plot data using ((strcol('tensor') eq t && strcol('scale') eq kind && column('count') > 0) ? \
              (column('bin_lo') + column('bin_hi')) / 2 : NaN):(column('density')):(column('bin_hi') - column('bin_lo')) \
              with boxes lc rgb catcolor(c) notitle
    }
}
unset logscale y
set format y '%g'

# row 3: all operands at the last step, by category
stats cathist using 'step' nooutput
cstep = int(STATS_max)
set title sprintf("all operands, step %d: x / sd (each operand's own sd)", cstep)
set xlabel 'x / sd'
set ylabel 'density'
set logscale y
set format y '10^{%L}'
set key top right
plot for [c in cats] cathist using ((column('step') == cstep && strcol('category') eq c && \
      strcol('scale') eq 'sd' && column('count') > 0) ? (column('bin_lo') + column('bin_hi')) / 2 : NaN):(column('density')) \
      with lines lw 2 lc rgb catcolor(c) title c
unset logscale y
set format y '%g'
set title sprintf("all operands, step %d: log_2|x|", cstep)
set xlabel 'log_2 |x|'
set ylabel ''
set key top left
plot for [c in cats] cathist using ((column('step') == cstep && strcol('category') eq c && \
      strcol('scale') eq 'log2') ? (column('bin_lo') + column('bin_hi')) / 2 : NaN):(column('density')) \
      with lines lw 2 lc rgb catcolor(c) title c
set title sprintf("shape of log_2|x| per operand, step %d\nnormal x: (-1.54, 4.0); log-normal |x|: (0, 0)", cstep)
set xlabel 'skew of log_2|x|'
set ylabel 'excess kurtosis of log_2|x|'
set key top right
set object 1 circle at -1.5351, 4.0 size char 1.2 fs empty border lc rgb '#555555' lw 2
set object 2 circle at 0, 0 size char 1.2 fs empty border lc rgb '#555555' lw 2
set label 1 'normal' at -1.5351, 4.0 offset 1.5, 0.8 tc rgb '#555555'
set label 2 'log-normal' at 0, 0 offset 1.5, 0.8 tc rgb '#555555'
plot for [c in cats] moments using ((column('step') == cstep && strcol('category') eq c) ? column('lg_skew') : NaN):(column('lg_kurtosis')) \
      with points pt 7 ps 0.9 lc rgb catcolor(c) title c
unset object 1
unset object 2
unset label 1
unset label 2
unset multiplot
