# demo/joint_plot.gnuplot - the joint section's picture, from the files
# demo/joint.sql wrote: a sample of the (amount, hour) pairs, the 95 %
# ellipse of each valid component of the joint mixture, and the ten rarest
# pairs by vgm_log_density.
#
#   gnuplot -e "datadir='demo/out/data'; outfile='demo/out/vgm_joint.png'" demo/joint_plot.gnuplot
#
# Variables (-e): datadir and outfile (required), term (pngcairo, png or svg;
# default pngcairo).  Both panels use the model's own linear scales, so the
# ellipses are ellipses: left, the everyday amounts; right, the whole range.

if (!exists("term")) term = "pngcairo"
points = datadir."/joint_points.csv"
ellipses = datadir."/joint_ellipses.csv"
anomalies = datadir."/joint_anomalies.csv"

if (term eq "svg") {
    set terminal svg size 1800,820 dynamic enhanced font "Helvetica,13" background rgb "white"
} else {
    if (term eq "pngcairo") {
        set terminal pngcairo size 1800,820 enhanced font "Helvetica,12" background rgb "white"
    } else {
        set terminal png size 1800,820 enhanced font "Helvetica,12" background rgb "white"
    }
}
set output outfile
set datafile separator comma

set multiplot layout 1,2 \
    title "{/:Bold vgm demo, joint model}: amount x hour of day, vgm\\_joint\\_fit(ARRAY[amount, hour])" font ",15"
set xlabel "amount"
set ylabel "hour of day"
set yrange [0:24]
set ytics 0, 3, 24
set grid xtics ytics lc rgb "#dddddd" lw 1
set key top right font ",10" box lc rgb "#bbbbbb" opaque

# one curve per component: an undefined value (NaN) breaks the line between two ellipses
set title "everyday amounts\n{/*0.85 grey: a sample of the rows; blue: the 95 % ellipse of each valid component}"
set xrange [-150:300]
plot points using 1:2 with dots lc rgb "#9a9a9a" title "rows (sample)", \
     for [i=0:63] ellipses using 2:($1 == i ? $3 : NaN) with lines lw 2 lc rgb "#1f77b4" \
         title (i == 0 ? "component ellipses (95 %)" : "")

set title "the whole range\n{/*0.85 red: the 10 rarest pairs by vgm\\_log\\_density(m, ARRAY[amount, hour])}"
set xrange [*:*]
plot points using 1:2 with dots lc rgb "#9a9a9a" title "rows (sample)", \
     for [i=0:63] ellipses using 2:($1 == i ? $3 : NaN) with lines lw 2 lc rgb "#1f77b4" \
         title (i == 0 ? "component ellipses (95 %)" : ""), \
     anomalies using 1:2 with points pt 7 ps 1.4 lc rgb "#d62728" title "10 rarest pairs"
unset multiplot
