/* Compiled capitalised-word runs (see docs/native.md), module _native_runs.
 *
 *   capitalized_runs(text) -> tuple[tuple[tuple[int, int], ...], ...]
 *       Exactly pii._tokens.runs_python(text): the matches of the _RUN regex
 *       (finditer semantics) split into word spans as _runs does. Character
 *       classes use the predicates re and str use (Py_UNICODE_ISALNUM,
 *       ISDECIMAL, ISALPHA, ISUPPER), so every str, astral characters and
 *       lone surrogates included, gets the Python result.
 *
 * Each step below names the regex piece it implements; the pattern has no
 * real backtracking (possessive words; the join alternatives exclude each
 * other), so a direct scan gives the same matches.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#ifndef RAMPARTS_NATIVE_SOURCE
#define RAMPARTS_NATIVE_SOURCE "unknown"
#endif

enum { WORD = 1, LETTER = 2, UPPER_START = 4, ALPHA = 8, UPPER = 16 };
static unsigned char latin1_flags[256];

static inline unsigned
flags_of(Py_UCS4 ch)
{
    if (ch < 256) {
        return latin1_flags[ch];
    }
    unsigned f = 0;
    if (Py_UNICODE_ISALNUM(ch)) { /* re's \w; \d is ISDECIMAL */
        f |= WORD;
        if (!Py_UNICODE_ISDECIMAL(ch)) {
            f |= LETTER | UPPER_START; /* [^\W\d_] (and not a-z: ch >= 256) */
        }
    }
    if (Py_UNICODE_ISALPHA(ch)) {
        f |= ALPHA;
    }
    if (Py_UNICODE_ISUPPER(ch)) {
        f |= UPPER;
    }
    return f;
}

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t n;
} Text;

#define AT(t, i) PyUnicode_READ((t)->kind, (t)->data, (i))

static inline int
has(const Text *t, Py_ssize_t i, unsigned flag)
{
    return i < t->n && (flags_of(AT(t, i)) & flag);
}

static inline int
is_joiner(Py_UCS4 ch) /* ['\u2019\-] */
{
    return ch == '\'' || ch == 0x2019 || ch == '-';
}

/* _REST_OF_WORD from j: the end, or -1 when the lookahead fails. */
static Py_ssize_t
rest_of_word(const Text *t, Py_ssize_t j)
{
    while (has(t, j, LETTER)) {
        j++;
    }
    while (j + 1 < t->n && is_joiner(AT(t, j)) && has(t, j + 1, LETTER)) {
        j += 2;
        while (has(t, j, LETTER)) {
            j++;
        }
    }
    if (j < t->n) { /* (?![@\w]|\.\w) */
        Py_UCS4 ch = AT(t, j);
        if (ch == '@' || (flags_of(ch) & WORD) || (ch == '.' && has(t, j + 1, WORD))) {
            return -1;
        }
    }
    return j;
}

static const char *const PARTICLES[] = {"van", "von", "de",  "der", "den", "da",  "di",
                                        "du",  "del", "della", "la", "le",  "bin", "ibn",
                                        "al",  "el",  "ter", "ten", "dos", "das", NULL};

static int
equals_ascii(const Text *t, Py_ssize_t at, const char *word)
{
    for (; *word; word++, at++) {
        if (at >= t->n || AT(t, at) != (Py_UCS4)(unsigned char)*word) {
            return 0;
        }
    }
    return 1;
}

static int
ends_with_ascii(const Text *t, Py_ssize_t at, const char *word) /* text[:at] ends with word */
{
    Py_ssize_t len = (Py_ssize_t)strlen(word);
    return at >= len && equals_ascii(t, at - len, word);
}

/* The position after a join at p (where the next capitalised word must start), or -1:
 * " " | " (particles) (?:den |der )?" | _DOT_JOIN. */
static Py_ssize_t
join(const Text *t, Py_ssize_t p)
{
    if (p >= t->n) {
        return -1;
    }
    Py_UCS4 ch = AT(t, p);
    if (ch == ' ') {
        if (has(t, p + 1, UPPER_START)) {
            return p + 1;
        }
        for (const char *const *particle = PARTICLES; *particle; particle++) {
            Py_ssize_t after = p + 1 + (Py_ssize_t)strlen(*particle);
            if (equals_ascii(t, p + 1, *particle) && after < t->n && AT(t, after) == ' ') {
                after++;
                if (equals_ascii(t, after, "den ") || equals_ascii(t, after, "der ")) {
                    after += 4; /* not taking it leaves 'd', never a capital */
                }
                return after;
            }
        }
        return -1;
    }
    if (ch != '.') {
        return -1;
    }
    int two_letters = p >= 2 && (flags_of(AT(t, p - 1)) & LETTER) &&
                      (flags_of(AT(t, p - 2)) & LETTER);
    static const char *const TITLES[] = {"Mr",  "Dr",  "Ms",  "St",  "Mx",   "MR", "DR",
                                         "MS",  "Mrs", "Rev", "MRS", "Prof", NULL};
    int title = 0;
    for (const char *const *word = TITLES; *word && !title; word++) {
        title = ends_with_ascii(t, p, *word);
    }
    if (two_letters && !title) {
        return -1;
    }
    /* "\. ?": with the space the capital follows it; without, it would be the space */
    return (p + 1 < t->n && AT(t, p + 1) == ' ') ? p + 2 : p + 1;
}

/* The first position from i that can start a match ([^\W\d_a-z]), or n: the
 * scan's inner loop, so it reads the string's own width directly. */
static Py_ssize_t
next_candidate(const Text *t, Py_ssize_t i)
{
    switch (t->kind) {
    case PyUnicode_1BYTE_KIND: {
        const Py_UCS1 *d = t->data;
        while (i < t->n && !(latin1_flags[d[i]] & UPPER_START)) {
            i++;
        }
        return i;
    }
    case PyUnicode_2BYTE_KIND: {
        const Py_UCS2 *d = t->data;
        while (i < t->n && !(flags_of(d[i]) & UPPER_START)) {
            i++;
        }
        return i;
    }
    default: {
        const Py_UCS4 *d = t->data;
        while (i < t->n && !(flags_of(d[i]) & UPPER_START)) {
            i++;
        }
        return i;
    }
    }
}

/* The end of the _RUN match starting at i, or -1. */
static Py_ssize_t
match_at(const Text *t, Py_ssize_t i)
{
    if (!(flags_of(AT(t, i)) & UPPER_START)) {
        return -1;
    }
    if (i >= 1) { /* _AFTER_BOUNDARY */
        Py_UCS4 before = AT(t, i - 1);
        int escape = i >= 2 && AT(t, i - 2) == '\\' &&
                     (before == 'n' || before == 'r' || before == 't');
        int glued = (flags_of(before) & WORD) || before == '\'' || before == 0x2019 ||
                    before == '-' || before == '.' || before == '@';
        if (glued && !escape) {
            return -1;
        }
    }
    Py_ssize_t end = rest_of_word(t, i + 1);
    if (end < 0) {
        return -1;
    }
    for (int k = 0; k < 4; k++) {
        Py_ssize_t q = join(t, end);
        if (q < 0 || !has(t, q, UPPER_START)) {
            break;
        }
        Py_ssize_t next = rest_of_word(t, q + 1);
        if (next < 0) {
            break;
        }
        end = next;
    }
    return end;
}

/* ------------------------------------------------------------ splitting */

#define MAX_SPANS 64 /* a match holds at most 5 capitalised words */

typedef struct {
    Py_ssize_t spans[MAX_SPANS][2];
    int count;
} Run;

static int
flush(PyObject *runs, Run *run)
{
    if (run->count == 0) {
        return 0;
    }
    PyObject *tuple = PyTuple_New(run->count);
    if (tuple == NULL) {
        return -1;
    }
    for (int k = 0; k < run->count; k++) {
        PyObject *span = Py_BuildValue("(nn)", run->spans[k][0], run->spans[k][1]);
        if (span == NULL) {
            Py_DECREF(tuple);
            return -1;
        }
        PyTuple_SET_ITEM(tuple, k, span);
    }
    run->count = 0;
    int failed = PyList_Append(runs, tuple);
    Py_DECREF(tuple);
    return failed;
}

static int
add(Run *run, Py_ssize_t start, Py_ssize_t end)
{
    if (run->count == MAX_SPANS) {
        PyErr_SetString(PyExc_SystemError, "capitalized_runs: too many words in a run");
        return -1;
    }
    run->spans[run->count][0] = start;
    run->spans[run->count][1] = end;
    run->count++;
    return 0;
}

static Py_ssize_t
without_possessive(const Text *t, Py_ssize_t start, Py_ssize_t end) /* "Sandra's" */
{
    if (end - start >= 2 && AT(t, end - 1) == 's') {
        Py_UCS4 mark = AT(t, end - 2);
        if (mark == '\'' || mark == 0x2019) {
            return end - 2;
        }
    }
    return end;
}

static int
is_particle(const Text *t, Py_ssize_t start, Py_ssize_t end)
{
    for (const char *const *particle = PARTICLES; *particle; particle++) {
        if ((Py_ssize_t)strlen(*particle) == end - start && equals_ascii(t, start, *particle)) {
            return 1;
        }
    }
    return 0;
}

/* _split_words: the _RUN_WORD words of [s, e); a lower-case non-particle splits. */
static int
split_words(const Text *t, Py_ssize_t s, Py_ssize_t e, PyObject *runs, Run *run)
{
    Text sub = *t;
    sub.n = e; /* finditer's endpos */
    run->count = 0; /* drop what plain_run left */
    Py_ssize_t j = s;
    while (j < e) {
        if (!has(&sub, j, LETTER)) {
            j++;
            continue;
        }
        Py_ssize_t ws = j;
        while (has(&sub, j, LETTER)) {
            j++;
        }
        while (j + 1 < e && is_joiner(AT(t, j)) && has(&sub, j + 1, LETTER)) {
            j += 2;
            while (has(&sub, j, LETTER)) {
                j++;
            }
        }
        if (!(flags_of(AT(t, ws)) & UPPER)) {
            if (!is_particle(t, ws, j) && flush(runs, run) < 0) {
                return -1;
            }
            continue;
        }
        if (add(run, ws, without_possessive(t, ws, j)) < 0) {
            return -1;
        }
    }
    return flush(runs, run);
}

/* _plain_run: every " "-separated part non-empty, alphabetic, with an upper first letter. */
static int
plain_run(const Text *t, Py_ssize_t s, Py_ssize_t e, Run *run)
{
    run->count = 0;
    Py_ssize_t start = s;
    for (Py_ssize_t j = s; j <= e; j++) {
        if (j < e && AT(t, j) != ' ') {
            if (!(flags_of(AT(t, j)) & ALPHA)) {
                return 0;
            }
            continue;
        }
        if (j == start || !(flags_of(AT(t, start)) & UPPER) || add(run, start, j) < 0) {
            PyErr_Clear();
            run->count = 0;
            return 0;
        }
        start = j + 1;
    }
    return 1;
}

static int
one_match(const Text *t, Py_ssize_t s, Py_ssize_t e, PyObject *runs, Run *run)
{
    int alpha = 1, spaced = 0;
    for (Py_ssize_t j = s; j < e; j++) {
        Py_UCS4 ch = AT(t, j);
        alpha = alpha && (flags_of(ch) & ALPHA);
        spaced = spaced || ch == ' ' || ch == '.';
    }
    int upper = flags_of(AT(t, s)) & UPPER;
    run->count = 0;
    if (alpha) { /* one word of letters */
        return upper ? (add(run, s, e) < 0 ? -1 : flush(runs, run)) : 0;
    }
    if (!spaced && e - s > 1) { /* one word */
        return upper ? (add(run, s, without_possessive(t, s, e)) < 0 ? -1 : flush(runs, run)) : 0;
    }
    if (plain_run(t, s, e, run)) {
        return flush(runs, run);
    }
    return split_words(t, s, e, runs, run);
}

static PyObject *
capitalized_runs(PyObject *module, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "capitalized_runs() needs a str");
        return NULL;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(text) < 0) {
        return NULL;
    }
#endif
    Text t = {PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text)};
    PyObject *runs = PyList_New(0);
    if (runs == NULL) {
        return NULL;
    }
    Run run;
    Py_ssize_t i = 0;
    while ((i = next_candidate(&t, i)) < t.n) {
        Py_ssize_t end = match_at(&t, i);
        if (end < 0) {
            i++;
            continue;
        }
        if (one_match(&t, i, end, runs, &run) < 0) {
            Py_DECREF(runs);
            return NULL;
        }
        i = end;
    }
    PyObject *result = PyList_AsTuple(runs);
    Py_DECREF(runs);
    return result;
}

static PyMethodDef module_methods[] = {
    {"capitalized_runs", capitalized_runs, METH_O, "pii._tokens.runs_python(text)"},
    {NULL},
};

static struct PyModuleDef runs_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "ramparts.detectors._native_runs",
    .m_doc = "Compiled capitalised-word runs; see ramparts.detectors.native.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__native_runs(void)
{
    for (Py_UCS4 ch = 0; ch < 256; ch++) {
        unsigned f = 0;
        if (Py_UNICODE_ISALNUM(ch) || ch == '_') {
            f |= WORD;
        }
        if (Py_UNICODE_ISALNUM(ch) && !Py_UNICODE_ISDECIMAL(ch)) {
            f |= LETTER;
            if (!(ch >= 'a' && ch <= 'z')) {
                f |= UPPER_START;
            }
        }
        if (Py_UNICODE_ISALPHA(ch)) {
            f |= ALPHA;
        }
        if (Py_UNICODE_ISUPPER(ch)) {
            f |= UPPER;
        }
        latin1_flags[ch] = (unsigned char)f;
    }
    PyObject *module = PyModule_Create(&runs_module);
    if (module == NULL) {
        return NULL;
    }
    if (PyModule_AddStringConstant(module, "SOURCE_SHA256", RAMPARTS_NATIVE_SOURCE) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
