# Does the metric predict training?  Each Table I cell's trained AUC (mean
# over seeds, error bars one sd across seeds) against the mean SQNR of its
# category's sampled tensors quantized as training quantized them
# (experiments/table1_metric.lua).  Colour: category; marker: format
# (filled RTNE, open SR); dashed: the fp32 baseline's mean AUC.  The title gives Spearman's rho and its
# permutation p per category and overall, from table1_corr.csv next to the
# data file, when it is there.
# Usage: gnuplot -e "data='DIR/table1_metric.csv'; out='DIR/table1_corr.png'" plots/table1_corr.gp
# metriq-data: table1_metric.csv
# Optional: metric='sqnr_min' (any column of table1_metric.csv; default sqnr_mean).
if (!exists("data")) data = 'results/table1/correlation/table1_metric.csv'
if (!exists("out")) out = 'table1_corr.png'
if (!exists("metric")) metric = 'sqnr_mean'
if (!exists("term")) term = (out[strlen(out)-3:] eq '.svg') ? 'svg' : 'png'
set datafile separator ','
set datafile columnheaders

cats = 'lhs rhs grad'
cnames = 'LHS RHS gradient'
colours = '#1b9e77 #d95f02 #7570b3'
formats = 'int8 e4m3 e5m2'
filled = '7 5 9'
open = '6 4 8'

# rho and p per scope from table1_corr.csv, if it is next to the data
tail = 'table1_metric.csv'
corr = data[1:strlen(data) - strlen(tail)] . 'table1_corr.csv'
have_corr = system(sprintf("test -s '%s' && echo 1 || echo 0", corr)) + 0
rhotext = ''
if (have_corr) {
    do for [s in 'lhs rhs grad grad_rtne all'] {
        stats corr using ((strcol('scope') eq s && strcol('metric') eq metric) ? column('rho') : NaN) nooutput
        r = STATS_mean
        stats corr using ((strcol('scope') eq s && strcol('metric') eq metric) ? column('p') : NaN) nooutput
        rhotext = rhotext . sprintf("%s%s %.2f (p %.2f)", (s eq 'lhs' ? '' : s eq 'grad_rtne' ? ",\n" : ', '), s, r, STATS_mean)
    }
}

if (term eq 'svg') {
    set terminal svg size 900,600 dynamic font 'Sans,12'
} else {
    set terminal pngcairo size 1000,660 font 'Sans,12'
}
set output out
set title noenhanced sprintf("Trained AUC against the sampled tensors' %s\nSpearman's rho: %s", metric, \
                  have_corr ? rhotext : 'table1_corr.csv not found')
set xlabel (metric eq 'sqnr_mean' ? 'mean SQNR over the category''s sampled tensors (dB)' : metric)
set ylabel 'AUC of the held-out accuracy (mean ± sd over seeds)'
set key outside right top
set grid
# the fp32 baseline's mean AUC, if the data has it
stats data using 'baseline_auc' nooutput
if (STATS_records > 0 && STATS_mean == STATS_mean) {
    set arrow from graph 0, first STATS_mean to graph 1, first STATS_mean nohead dt 2 lc rgb 'gray40'
    set label 'fp32 baseline' at graph 0.01, first STATS_mean offset 0, 0.6 tc rgb 'gray40'
}
sel(c, f, r) = (strcol('category') eq c && strcol('format') eq f && strcol('rounding') eq r)
plot for [ci = 1:3] for [fi = 1:3] for [ri = 1:2] data \
     using (sel(word(cats, ci), word(formats, fi), ri == 1 ? 'rtne' : 'sr') ? column(metric) : NaN):'auc_mean':'auc_sd' \
     with yerrorbars pt (ri == 1 ? word(filled, fi) + 0 : word(open, fi) + 0) ps 1.4 \
     lc rgb word(colours, ci) \
     title ((word(cats, ci) ne 'grad' && ri == 2) ? '' : sprintf('%s %s%s', word(cnames, ci), word(formats, fi), ri == 2 ? ' SR' : ''))
