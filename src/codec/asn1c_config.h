/*
 * Forced into every file that includes asn1c's headers (see CMakeLists.txt).
 * asn1c's default ASN_DEBUG is a function whose arguments are still formatted
 * (tag names through snprintf) on every tag when debugging is off: defining it
 * away roughly halves decoding time.
 */
#pragma once
#define ASN_DEBUG(...) ((void)0)

/* asn1c's allocation macros are patched (CMakeLists.txt) to call these. */
#include "asn_arena.h"
