/*
 * ss7gw: the SS7 HA gateway's single binary. Subcommands are tools around the
 * gateway (codec) and the gateway service itself (run).
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "decode", cmd_decode, "decode [OPTIONS] HEX     print the JSON of one TCAP message" },
	{ "encode", cmd_encode, "encode [OPTIONS] < JSON  print the hex of one TCAP message" },
	{ "run", cmd_run, "run -c FILE [--vty-port N]   run the gateway (M3UA link; events as JSON lines)" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: ss7gw COMMAND [ARGS]\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  ss7gw %s\n", commands[i].help);
	fprintf(f, "decode/encode OPTIONS:\n"
		   "  --proto map|cap     the protocol (default: the application context's, else MAP)\n"
		   "  --version N         force the application-context version (1-4)\n"
		   "  --ac NAME|OID       an application context: sets --proto and --version\n"
		   "  --param argument|result|error --code N\n"
		   "                      one component parameter (its TLV) instead of a whole message\n"
		   "Bad input: one line on stderr, exit status 2 (docs/json.md).\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "ss7gw: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
