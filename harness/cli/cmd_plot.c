/* cmd_plot.c: `metriq plot NAME DIR`, re-render a figure from the data a
 * run left in DIR. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "plot.h"

int mq_cmd_plot(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: metriq plot NAME [DIR]\n\n"
		       "Renders plots/NAME.gp (fig2, fig3, fig4, ...) on the data in DIR\n"
		       "(default results/paper/NAME) into DIR/NAME.png and DIR/NAME.svg.\n"
		       "The .gp scripts are looked up in $METRIQ_PLOTS, else %s.\n",
		       mq_plots_dir());
		return 0;
	}
	if (argc < 2 || argc > 3)
		return mq_cli_error("plot", "usage: metriq plot NAME [DIR]");
	char def[512];
	snprintf(def, sizeof def, "results/paper/%s", argv[1]);
	const char *dir = argc == 3 ? argv[2] : def;
	char err[1024];
	if (mq_plot_render(argv[1], dir, err, sizeof err) != 0)
		return mq_cli_error("plot", "%s", err);
	fprintf(stderr, "metriq plot: wrote %s/%s.png and %s/%s.svg\n", dir, argv[1], dir, argv[1]);
	return 0;
}
