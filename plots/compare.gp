# metriq compare --plot DIR: each benchmark's rate in every later file over
# its rate in the first ([k]/[1]; above 1: faster), one bar per file.
# metriq-data: compare.csv
# Usage: gnuplot -e "data='DIR/compare.csv'; out='DIR/compare.png'" plots/compare.gp
if (!exists("data")) data = 'compare.csv'
if (!exists("out")) out = 'compare.png'
if (!exists("term")) term = (out[strlen(out)-3:] eq '.svg') ? 'svg' : 'png'
set datafile separator ','
set datafile missing '-'
# rows, for the width: a constant per record counts them all
stats data using (1) nooutput
nrow = STATS_records
w = nrow * 28 + 160
w = w < 640 ? 640 : w
if (term eq 'svg') {
    set terminal svg size w,600 dynamic font 'Sans,11'
} else {
    set terminal pngcairo size w,600 font 'Sans,11'
}
set output out
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.7 border -1
set boxwidth 0.9
set key noenhanced outside top center horizontal
set xtics rotate by 40 right noenhanced font ',9' nomirror
set grid ytics lc rgb '#e0e0e0'
set yrange [0:*]
set ylabel 'rate / rate in [1]  (above 1: faster)'
set title 'metriq compare: rates relative to the first file' noenhanced
set bmargin 12
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb '#555555' front
plot for [i=2:*] data using i:xtic(1) title columnheader(i)
