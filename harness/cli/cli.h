/* cli.h: the metriq program's subcommands.  Each takes argc/argv after the
 * subcommand name (argv[0] is the subcommand) and returns the exit status. */
#ifndef MQ_CLI_H
#define MQ_CLI_H

int mq_cmd_formats(int argc, char **argv);
int mq_cmd_quantize(int argc, char **argv);
int mq_cmd_advise(int argc, char **argv);
int mq_cmd_plot(int argc, char **argv);
int mq_cmd_run(int argc, char **argv);
int mq_cmd_merge(int argc, char **argv);
int mq_cmd_compare(int argc, char **argv);
int mq_cmd_bench(int argc, char **argv);

/* Print "metriq <cmd>: <message>" on stderr; returns 2 for convenience. */
int mq_cli_error(const char *cmd, const char *fmt, ...);

#endif
