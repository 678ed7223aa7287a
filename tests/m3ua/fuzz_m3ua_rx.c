/*
 * libFuzzer target for the link's receive check (src/m3ua/m3ua_rx.c), which reads every
 * M3UA message before libosmo-sigtran does. One input is one received message, in a buffer
 * of exactly its size (ASan sees any read past it). Properties checked: only a DATA is ever
 * refused; a refused one is version 1 with a consistent length; the ERR answer is well
 * formed. tests/fuzz/replay_main.c replays tests/m3ua/corpus in every build.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "m3ua_rx.h"

static void must(int cond)
{
	if (!cond)
		abort();
}

/* even point codes are "ours" */
static bool even_is_local(void *priv, uint32_t pc)
{
	(void)priv;
	return pc % 2 == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *msg = malloc(size ? size : 1), err[M3UA_RX_ERR_MAX];
	enum m3ua_rx_verdict v;
	size_t n;

	must(msg != NULL);
	memcpy(msg, data, size);
	v = m3ua_rx_check(msg, size, even_is_local, NULL);
	if (v != M3UA_RX_PASS) {
		must(size >= 8 + 4 && msg[0] == 1 && msg[2] == 1 && msg[3] == 1);
		must(((uint32_t)msg[4] << 24 | msg[5] << 16 | msg[6] << 8 | msg[7]) <= size);
	}
	/* the check does not depend on what is_local says for a message it passes anyway */
	if (v == M3UA_RX_PASS || v == M3UA_RX_BAD_DATA)
		must(m3ua_rx_check(msg, size, NULL, NULL) == v);
	n = m3ua_rx_err_encode(err, 0x12, msg, size);
	must(n <= sizeof(err) && n % 4 == 0 && n >= 20);
	must(((size_t)err[6] << 8 | err[7]) == n && err[0] == 1 && err[2] == 0 && err[3] == 0);
	free(msg);
	return 0;
}
