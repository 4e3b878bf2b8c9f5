/* cmd_plot.c: `metriq plot NAME DIR`, re-render a figure from the data a
 * run left in DIR. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "plot.h"

int mq_cmd_plot(int argc, char **argv)
{
	char about[1024];
	snprintf(about, sizeof about,
	         "Renders plots/NAME.gp (fig2, fig3, fig4, ...) on the data in DIR\n"
	         "(default results/paper/NAME) into DIR/NAME.png and DIR/NAME.svg.\n"
	         "The .gp scripts are looked up in $METRIQ_PLOTS, else %s.\n",
	         mq_plots_dir());
	const mq_opt opts[] = {MQ_OPT_END};
	const mq_optcmd cmd = {"plot", "NAME [DIR]", about, opts, 0};
	int n = mq_opt_parse(&cmd, argc, argv, NULL);
	if (n < 0)
		return mq_opt_status(n);
	if (n < 1 || n > 2)
		return mq_cli_error("plot", "usage: metriq plot NAME [DIR]");
	char def[512];
	snprintf(def, sizeof def, "results/paper/%s", argv[1]);
	const char *dir = n == 2 ? argv[2] : def;
	char err[1024];
	if (mq_plot_render(argv[1], dir, err, sizeof err) != 0)
		return mq_cli_error("plot", "%s", err);
	fprintf(stderr, "metriq plot: wrote %s/%s.png and %s/%s.svg\n", dir, argv[1], dir, argv[1]);
	return 0;
}
