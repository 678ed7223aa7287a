/* Subcommands of the ss7gw binary; each returns the process exit status. */
#pragma once

int cmd_decode(int argc, char **argv);
int cmd_encode(int argc, char **argv);
int cmd_run(int argc, char **argv);
