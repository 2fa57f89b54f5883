/* Shared helpers for the h5kit command-line tool's subcommands (ls now; dump, get, chunks,
 * repack later). The CLI sits on top of the public API only: it includes h5kit.h and nothing
 * under src/. Helpers are defined in main.c. The CLI is single-threaded and may keep static
 * configuration; the library it calls keeps no global state. */
#ifndef H5KIT_TOOLS_CLI_H
#define H5KIT_TOOLS_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "h5kit.h"

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

/* Exit statuses, as the reference tools use them. */
enum { CLI_OK = 0, CLI_FAIL = 1 };

/* Subcommands: each takes the arguments after its own name (argv[0] is the subcommand name)
 * and returns the process exit status. */
int cmd_ls(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_chunks(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_repack(int argc, char **argv);

/* Open FILE#PATH (NOMAD addressing) and the dataset it names, with `nthreads` decode threads
 * (0: default). On failure prints one line "h5kit CMD: ..." and returns < 0. (get.c) */
int get_open_target(h5k_file **out_file, h5k_dataset **out_dset, const char *cmd, const char *target,
                    unsigned nthreads);
/* "h5kit CMD: MESSAGE" as one line on stderr (control characters become '?'). (get.c) */
void get_cmd_error(const char *cmd, const char *fmt, ...) CLI_PRINTF(2, 3);

/* Print "h5kit: MESSAGE" as one line on stderr. Control characters in the formatted message
 * are replaced by '?' so the message stays on one line. */
void cli_error(const char *fmt, ...) CLI_PRINTF(1, 2);

/* Print "SUBJECT: MESSAGE" as one line on stderr (control characters replaced by '?'), after
 * flushing stdout so the streams interleave sensibly on a terminal. */
void cli_report(const char *subject, const char *message);

/* Copy the library's last error message into `buf` as one line (control characters replaced
 * by '?'); returns buf. */
char *cli_reason(char *buf, size_t size);

/* Open the HDF5 file named by the longest prefix of `arg` that opens, splitting at '/' from
 * the right, the way the reference tools accept "FILE/PATH/IN/FILE". On success returns 0 with
 * *out the open file, *out_fname the file-name part (malloc'd) and *out_oname the object part
 * starting with '/' (malloc'd), or NULL when `arg` named the file alone. On failure returns the
 * library's error code, leaves the out parameters NULL and writes the reason (one line) into
 * `reason`: that of the longest prefix that exists on disk, else that of `arg` itself. */
int cli_open_split(h5k_file **out, char **out_fname, char **out_oname, char *reason,
                   size_t reason_size, const char *arg);

/* Write `s` with the reference tools' name escaping: backslash, double quote, \b \f \n \r \t
 * as C escapes, a space as "\ " when `escape_spaces`, any other byte outside 0x20..0x7e as a
 * three-digit octal escape "\ooo". Returns the number of characters written. */
size_t cli_put_escaped(FILE *out, const char *s, int escape_spaces);

/* Switch stdout to a large fully-buffered buffer (listings can be 100k lines). */
void cli_buffer_stdout(void);

/* Flush stdout; on a write error report it once and return CLI_FAIL, else `status`. */
int cli_finish_stdout(int status);

#endif
