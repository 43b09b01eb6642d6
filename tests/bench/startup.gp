# scripts/bench: cold start per command, hvym against a static `true`.
# gnuplot -e "tsv='startup.tsv'; png='startup.png'" startup.gp
set terminal pngcairo size 1000,520 font ",10"
set output png
set datafile separator "\t"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set ylabel "median wall time of one process (us)"
set title "Cold start per command: hvym against a static true in the same run (scripts/bench)"
set xtics rotate by -30 left
set key top left
set grid ytics
plot tsv using 2:xtic(1) title "static true", '' using 3 title "hvym"
