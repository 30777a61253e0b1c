# demo/plot.gnuplot - the demo's picture, from the files demo/plot.sql wrote.
#
#   gnuplot -e "datadir='demo/out/data'; outfile='demo/out/vgm_demo.png'" demo/plot.gnuplot
#
# Variables (-e): datadir (required), outfile (required), term (pngcairo,
# png or svg; default pngcairo).  Left: the data's histogram with the fitted
# mixture and each valid component (weighted).  Right: the histogram of the
# synthetic sample drawn with vgm_sample, the data's histogram as an outline
# and the same mixture.  x is sign(x) log10(1 + |x|) so refunds, small
# purchases and the heavy tail all fit; the curves are the model's expected
# histogram on the same bins (see demo/plot.sql).

if (!exists("term")) term = "pngcairo"
load datadir."/plot_vars.gp"
hist = datadir."/hist.csv"
comps = datadir."/components.csv"

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
set datafile missing "NaN"

# component colours (matplotlib's sequence, its blue last: the data's bars are blue)
array col[10] = ["#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", \
                 "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#1f77b4"]

set multiplot layout 1,2 \
    title sprintf("{/:Bold vgm demo}: a variational Gaussian mixture (%d valid components) fitted to %s transaction amounts", \
                  n_valid, rows_str) font ",15"

set xrange [lo:hi]
set yrange [0:max_density * 1.12]
set xlabel "amount (signed log scale: sign(x) log_{10}(1 + |x|))"
set ylabel "density per unit of the x scale"
set grid xtics ytics lc rgb "#dddddd" lw 1
set mxtics
set tics out nomirror
set key top left reverse Left samplen 2 spacing 1.05 font ",10" box lc rgb "#bbbbbb" opaque
set style fill solid 0.45 noborder
set boxwidth 1.0 relative

# ---- left: data and model -------------------------------------------------
set title sprintf("Data: %s non-NULL amounts with the fitted mixture (KS D = %s)%s\n{/*0.85 curves: the model's expected histogram on the same bins (weighted components; the mixture is their sum)}", \
                  n_data_str, ks_model, have_atoms ? sprintf("; with %d atoms KS D = %s", n_atoms, ks_atoms) : "")
plot hist using 1:2 with boxes fs solid 0.55 noborder lc rgb "#4f86c6" title "data histogram", \
     for [i=1:n_valid] comps using 2:($1 == i - 1 ? $3 : NaN) with lines lw 1.8 lc rgb col[(i - 1) % 10 + 1] \
         title "component ".ctitle[i], \
     hist using 1:4 with lines lw 2.2 lc rgb "black" title "fitted mixture", \
     hist using 1:(have_atoms ? $7 : NaN) with lines lw 1.6 dt 2 lc rgb "#c00000" \
         title (have_atoms ? sprintf("mixture with %d atoms (atoms => true)", n_atoms) : "")

# ---- right: synthetic sample ---------------------------------------------
set title sprintf("Synthetic: %s draws with vgm\\_sample(model, n, 42) (two-sample KS D vs data = %s)\n{/*0.85 same bins and scale; the data's histogram as an outline}", n_synth_str, ks_synth)
plot hist using 1:3 with boxes fs solid 0.55 noborder lc rgb "#f0a050" title "synthetic histogram", \
     hist using 1:2 with histeps lw 1.2 lc rgb "#2b5d8a" title "data histogram", \
     hist using 1:4 with lines lw 2.2 lc rgb "black" title "fitted mixture"

unset multiplot
