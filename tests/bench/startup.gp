# scripts/bench: cold start per command, hvym against a static `true`, and,
# when scripts/bench was given --original, the Python CLI beside hvym.
# gnuplot -e "tsv='startup.tsv'; otsv='original.tsv'; png='startup.png'" startup.gp
# Both axes start at zero: the bars' lengths compare as the times do.
original = system("test -s '" . otsv . "' && echo 1") eq "1"
set terminal pngcairo size (original ? 1400 : 1000),520 font ",10"
set output png
set datafile separator "\t"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics rotate by -30 left
set key top left
set grid ytics
set yrange [0:*]
if (original) { set multiplot layout 1,2 }
set ylabel "median wall time of one process (us)"
set title "Cold start: hvym against a static true in the same run"
plot tsv using 2:xtic(1) title "static true", '' using 3 title "hvym"
if (original) {
  set ylabel "mean wall time of one process (ms)"
  set title "The Python CLI (hvym.py) beside hvym, same commands"
  set key top right
  plot otsv using 2:xtic(1) title "hvym.py (original)", '' using 3 title "hvym"
  unset multiplot
}
