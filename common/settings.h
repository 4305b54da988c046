/* The one reader of the daemons' local settings files ("Key = value" lines in [sections]). */
#ifndef STSIP_SETTINGS_H
#define STSIP_SETTINGS_H

#include <stddef.h>

/*
 * Each daemon describes its keys in one table and gets back a filled struct;
 * the reader owns the syntax (sections, comments, "Key = value", line
 * numbers) and the typed conversions, and reports every error of the file in
 * one pass as "file:line: key: reason".  Key and section names match without
 * regard to case.  Checks that need the whole file stay with the daemon.
 *
 * Memory: string fields are malloc'd by the reader (a value replaces and
 * frees the one before it, defaults included) and freed by settings_free();
 * they belong to the struct.
 */
enum settings_type {
	SETTINGS_STR,		/* char *; min 1: must not be empty */
	SETTINGS_OPTSTR,	/* char *; an empty value unsets it (NULL) */
	SETTINGS_PATH,		/* char *; relative to the file's folder */
	SETTINGS_FILE,		/* char *; a file we can read, as written */
	SETTINGS_SECRET,	/* char *: the contents of a secret file (the
				 * path as for PATH; privdrop.h's modes),
				 * trailing white space cut, wiped when freed */
	SETTINGS_BOOL,		/* int: true/yes/1 or false/no/0 */
	SETTINGS_INT,		/* int in min..max */
	SETTINGS_UINT,		/* unsigned in min..max */
	SETTINGS_SIZE,		/* size_t in min..max */
	SETTINGS_PORT,		/* uint16_t in min..max */
	SETTINGS_WORD,		/* int (or an enum): one of words[] */
	SETTINGS_CUSTOM		/* parse() does it */
};

struct settings_word {
	const char	*word;
	int		 value;
};

struct settings_key {
	const char	*section;	/* NULL: in any section */
	const char	*name;
	enum settings_type type;
	size_t		 off;		/* of the field in the struct */
	long		 min, max;
	const struct settings_word *words;	/* SETTINGS_WORD; {NULL} ends */
	/*
	 * SETTINGS_CUSTOM: sets the value into obj, or returns -1 with the
	 * reason (what comes after "file:line: key: ") in why.
	 */
	int		(*parse)(void *obj, char *val, char *why, size_t whylen);
};

/* Table rows: a typed field, a word among words[], a key parse() reads. */
#define SETTINGS_KEY(sect, name, type, off, min, max) \
	{ (sect), (name), (type), (off), (min), (max), NULL, NULL }
#define SETTINGS_WORDS(sect, name, off, words) \
	{ (sect), (name), SETTINGS_WORD, (off), 0, 0, (words), NULL }
#define SETTINGS_PARSE(sect, name, parse) \
	{ (sect), (name), SETTINGS_CUSTOM, 0, 0, 0, NULL, (parse) }

struct settings_spec {
	const char *const	*sections;	/* allowed, NULL-terminated */
	const struct settings_key *keys;	/* sorted by section, name */
	size_t			 nkeys;
	int			 unquote;	/* Key = "value" -> value */
};

/*
 * Reads file into obj, logging every error: how many lines were wrong (0:
 * all good), or -1 when the file cannot be read at all.
 */
int	settings_read(const struct settings_spec *, void *obj,
	    const char *file);
/* Frees (and sets to NULL) every string field of the table. */
void	settings_free(const struct settings_spec *, void *obj);

#endif
