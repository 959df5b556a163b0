# gnuplot template for the side-by-side benchmark's plot: fan-out latency (p50 and p99) against
# load (delivered messages/s), one colour per server. bench/report.mjs writes the data file (one
# block per server, blocks separated by two blank lines; columns: delivered/s, p50 ms, p99 ms) and
# calls
#
#   gnuplot -e "datafile='D'; outfile='O.svg'; series=N; titles='a b c'; logx=0|1; subtitle='S'" bench/latency.gp
#
# titles: one word per block (no spaces inside a title).
set terminal svg size 900,560 dynamic enhanced font 'Helvetica,13' background rgb 'white'
set output outfile
set encoding utf8
set title sprintf("Fan-out latency against load\n{/*0.75 %s}", subtitle)
set xlabel 'delivered messages/s (all subscribers together)'
set ylabel 'latency, publisher to subscriber (ms)'
set logscale y
set format y '%g'
set format x '%.0s%c'
if (logx) set logscale x
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top spacing 1.2
set datafile missing '-'
set linetype 1 lc rgb '#1f77b4'
set linetype 2 lc rgb '#d62728'
set linetype 3 lc rgb '#2ca02c'
set linetype 4 lc rgb '#9467bd'
set linetype 5 lc rgb '#ff7f0e'
plot for [i=0:series-1] datafile index i using 1:3 with linespoints lt (i+1) lw 2 pt 7 ps 0.8 \
       title sprintf('%s p99', word(titles, i+1)), \
     for [i=0:series-1] datafile index i using 1:2 with linespoints lt (i+1) lw 1.5 dt 2 pt 6 ps 0.8 \
       title sprintf('%s p50', word(titles, i+1))
