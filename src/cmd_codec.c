/*
 * `ss7gw decode` and `ss7gw encode`: the codec on the command line. Output is
 * all or nothing: a one-line error on stderr and exit status 2 for bad input.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ss7gw/codec.h"
#include "jw.h"
#include "cmd.h"

#define MAX_MSG 65536		/* far above any SCCP payload */
#define MAX_JSON (4 << 20)

static int fail(const char *cmd, const char *msg)
{
	fprintf(stderr, "ss7gw %s: %s\n", cmd, msg);
	return 2;
}

/* --param KIND --code N: one component parameter instead of a whole message */
static struct {
	bool on;
	struct ss7_param_ref ref;
} param;

/* Options shared by both commands; returns optind or -1. */
static int parse_opts(int argc, char **argv, struct ss7_codec_opts *o, const char *cmd)
{
	static const struct option longopts[] = {
		{ "proto", required_argument, NULL, 'p' },
		{ "version", required_argument, NULL, 'v' },
		{ "param", required_argument, NULL, 'k' },
		{ "code", required_argument, NULL, 'c' },
		{ "ac", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_code = false;
	char *end;
	int ch;

	memset(o, 0, sizeof(*o));
	memset(&param, 0, sizeof(param));
	if (getenv("SS7GW_CODEC_SELFCHECK"))
		ss7_codec_selfcheck(true);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "p:v:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (!strcmp(optarg, "map"))
				o->proto = SS7_CODEC_MAP;
			else if (!strcmp(optarg, "cap"))
				o->proto = SS7_CODEC_CAP;
			else
				return fail(cmd, "--proto takes map or cap"), -1;
			break;
		case 'v':
			o->version = atoi(optarg);
			if (o->version < 1 || o->version > 4)
				return fail(cmd, "--version takes 1 to 4"), -1;
			break;
		case 'k':
			param.on = true;
			if (!strcmp(optarg, "argument"))
				param.ref.kind = SS7_PARAM_ARGUMENT;
			else if (!strcmp(optarg, "result"))
				param.ref.kind = SS7_PARAM_RESULT;
			else if (!strcmp(optarg, "error"))
				param.ref.kind = SS7_PARAM_ERROR;
			else
				return fail(cmd, "--param takes argument, result or error"), -1;
			break;
		case 'a': {
			/* an application context sets both the protocol and the version */
			struct ss7_codec_ac ac;
			if (ss7_codec_ac_by_name(optarg, 0, &ac))
				return fail(cmd, "--ac: unknown application context"), -1;
			o->proto = ac.proto;
			o->version = ac.version;
			break;
		}
		case 'c':
			param.ref.code = strtol(optarg, &end, 10);
			if (*end || end == optarg)
				return fail(cmd, "--code takes a local operation or error code"), -1;
			have_code = true;
			break;
		default:
			return fail(cmd, "unknown option (see ss7gw --help)"), -1;
		}
	}
	if (param.on != have_code)
		return fail(cmd, "--param and --code go together"), -1;
	param.ref.proto = o->proto;
	param.ref.version = o->version;
	return optind;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

int cmd_decode(int argc, char **argv)
{
	static uint8_t msg[MAX_MSG];
	struct ss7_codec_opts o;
	char err[256];
	struct jw w;
	const char *hex;
	size_t n = 0, i;
	int first = optind, hi = -1;

	first = parse_opts(argc, argv, &o, "decode");
	if (first < 0)
		return 2;
	if (first != argc - 1)
		return fail("decode", "expects one HEX argument");
	hex = argv[first];
	for (i = 0; hex[i]; i++) {
		int v;
		if (isspace((unsigned char)hex[i]))
			continue;
		if ((v = hexval((unsigned char)hex[i])) < 0)
			return fail("decode", "HEX contains a character that is not a hex digit");
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == sizeof(msg))
			return fail("decode", "message too long");
		msg[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		return fail("decode", "HEX has an odd number of digits");
	if (n == 0)
		return fail("decode", "empty message");
	jw_init(&w);
	if (param.on ? ss7_codec_param_decode(&param.ref, msg, n, &w, err, sizeof(err))
		     : ss7_codec_decode(msg, n, &o, &w, err, sizeof(err))) {
		jw_free(&w);
		return fail("decode", err);
	}
	puts(jw_cstr(&w));
	jw_free(&w);
	return 0;
}

int cmd_encode(int argc, char **argv)
{
	static uint8_t out[MAX_MSG];
	struct ss7_codec_opts o;
	char err[256];
	char *json;
	size_t len = 0, got;
	long n, i;
	int first;

	first = parse_opts(argc, argv, &o, "encode");
	if (first < 0)
		return 2;
	if (first != argc)
		return fail("encode", "reads JSON on stdin and takes no argument");
	json = malloc(MAX_JSON);
	if (!json)
		return fail("encode", "out of memory");
	while ((got = fread(json + len, 1, MAX_JSON - len, stdin)) > 0)
		len += got;
	if (len == MAX_JSON) {
		free(json);
		return fail("encode", "JSON input too large");
	}
	n = param.on ? ss7_codec_param_encode(&param.ref, json, len, out, sizeof(out), err, sizeof(err))
		     : ss7_codec_encode(json, len, &o, out, sizeof(out), err, sizeof(err));
	free(json);
	if (n < 0)
		return fail("encode", err);
	for (i = 0; i < n; i++)
		printf("%02x", out[i]);
	putchar('\n');
	return 0;
}
