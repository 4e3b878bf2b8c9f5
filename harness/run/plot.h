/* plot.h: figures through gnuplot.
 *
 * A figure NAME is the gnuplot script plots/NAME.gp; a line
 * "# metriq-data: FILE.csv" in it names the data file it draws.  Rendering
 * runs gnuplot (no shell) with data, out and term set, once for PNG
 * (pngcairo) and once for SVG, each into a temporary file renamed into
 * place only when gnuplot succeeded: a failed render leaves the previous
 * figure, never half of one. */
#ifndef MQ_PLOT_H
#define MQ_PLOT_H

#include <stddef.h>

/* The folder of the .gp scripts: $METRIQ_PLOTS, else the install's or the
 * source tree's plots/ (paths.h), else ./plots. */
const char *mq_plots_dir(void);

/* Render NAME from DIR's data into DIR/NAME.png and DIR/NAME.svg.  0 on
 * success; else -1 with a message in err. */
int mq_plot_render(const char *name, const char *dir, char *err, size_t errlen);

#endif
