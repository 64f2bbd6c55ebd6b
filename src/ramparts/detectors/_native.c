/* Optional compiled kernels for the detectors (see docs/native.md).
 *
 * One concept: the hot loops of the prompt_injection model, done without
 * building Python objects per n-gram. Each function has an exact pure-Python
 * reference (features.tokenize_python, InjectionModel.window_logit with
 * native=False) and tests compare the two; the package works without this
 * module (RAMPARTS_NATIVE=0, or when it failed to compile).
 *
 *   tokenize(view) -> list[str]
 *       The tokens of re.findall(r"\w+|[^\w\s]{1,3}", view): re's Unicode \w
 *       (str.isalnum() or "_") and \s (str.isspace()); re.ASCII's for an ASCII
 *       view, as the reference does.
 *   NgramWeights(unigrams, bigrams).window(tokens, start, end) -> (total, count)
 *       For tokens[start:end]: the correctly rounded sum (as math.fsum) of the
 *       weights of its distinct unigrams and distinct adjacent pairs, and how
 *       many distinct unigrams plus distinct pairs it holds.
 *
 * The GIL is held throughout; no Python code runs inside a call (tokens must
 * be exact str, whose hash and equality are built in), so borrowed list items
 * stay alive.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#ifndef RAMPARTS_NATIVE_SOURCE
#define RAMPARTS_NATIVE_SOURCE "unknown"
#endif

/* ------------------------------------------------------------------ tokenize */

/* Character classes of code points < 256, from the same predicates re uses.
 * The reference tokenizes an ASCII text with re.ASCII (faster), where \s is
 * only [ \t\n\r\f\v]: there \x1c-\x1f are marks, not spaces as in
 * Unicode mode (str.isspace()), so ASCII strings get their own table. */
enum { SPACE = 0, WORD = 1, MARK = 2 };
static unsigned char latin1_class[256];
static unsigned char ascii_class[256];

static inline int
char_class(const unsigned char *table, Py_UCS4 ch)
{
    if (ch < 256) {
        return table[ch];
    }
    if (Py_UNICODE_ISALNUM(ch)) {
        return WORD;
    }
    return Py_UNICODE_ISSPACE(ch) ? SPACE : MARK;
}

static PyObject *
tokenize(PyObject *module, PyObject *view)
{
    if (!PyUnicode_Check(view)) {
        PyErr_SetString(PyExc_TypeError, "tokenize() needs a str");
        return NULL;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(view) < 0) {
        return NULL;
    }
#endif
    int kind = PyUnicode_KIND(view);
    const void *data = PyUnicode_DATA(view);
    Py_ssize_t length = PyUnicode_GET_LENGTH(view);
    const unsigned char *table = PyUnicode_IS_ASCII(view) ? ascii_class : latin1_class;
    PyObject *tokens = PyList_New(0);
    if (tokens == NULL) {
        return NULL;
    }
    Py_ssize_t at = 0;
    while (at < length) {
        int cls = char_class(table, PyUnicode_READ(kind, data, at));
        if (cls == SPACE) {
            at++;
            continue;
        }
        Py_ssize_t end = at + 1;
        if (cls == WORD) { /* \w+ */
            while (end < length && char_class(table, PyUnicode_READ(kind, data, end)) == WORD) {
                end++;
            }
        }
        else { /* [^\w\s]{1,3} */
            while (end < length && end - at < 3 &&
                   char_class(table, PyUnicode_READ(kind, data, end)) == MARK) {
                end++;
            }
        }
        PyObject *token = PyUnicode_Substring(view, at, end);
        if (token == NULL || PyList_Append(tokens, token) < 0) {
            Py_XDECREF(token);
            Py_DECREF(tokens);
            return NULL;
        }
        Py_DECREF(token);
        at = end;
    }
    return tokens;
}

/* -------------------------------------------------------- exact float sum */

/* Shewchuk's partials, as math.fsum: the result is the exact sum rounded once,
 * so it does not depend on the order of the terms (Python's set order is hash
 * order, which changes from process to process). */
typedef struct {
    double *p;
    Py_ssize_t n, cap;
    double small[32];
} Partials;

static void
partials_init(Partials *s)
{
    s->p = s->small;
    s->n = 0;
    s->cap = 32;
}

static void
partials_free(Partials *s)
{
    if (s->p != s->small) {
        PyMem_Free(s->p);
    }
}

static int
partials_add(Partials *s, double x)
{
    Py_ssize_t i = 0;
    for (Py_ssize_t j = 0; j < s->n; j++) {
        double y = s->p[j];
        if (fabs(x) < fabs(y)) {
            double t = x;
            x = y;
            y = t;
        }
        double hi = x + y;
        double lo = y - (hi - x);
        if (lo != 0.0) {
            s->p[i++] = lo;
        }
        x = hi;
    }
    s->n = i;
    if (x == 0.0) {
        return 0;
    }
    if (!isfinite(x)) { /* finite weights only (checked at load): an overflow */
        PyErr_SetString(PyExc_OverflowError, "intermediate overflow in fsum");
        return -1;
    }
    if (s->n == s->cap) {
        Py_ssize_t cap = s->cap * 2;
        double *grown = PyMem_Malloc(cap * sizeof(double));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        memcpy(grown, s->p, s->n * sizeof(double));
        partials_free(s);
        s->p = grown;
        s->cap = cap;
    }
    s->p[s->n++] = x;
    return 0;
}

static double
partials_sum(const Partials *s)
{
    Py_ssize_t n = s->n;
    double hi = 0.0, lo = 0.0;
    if (n == 0) {
        return 0.0;
    }
    hi = s->p[--n];
    while (n > 0) { /* add from the top until the sum becomes inexact */
        double x = hi, y = s->p[--n];
        hi = x + y;
        lo = y - (hi - x);
        if (lo != 0.0) {
            break;
        }
    }
    /* Round half-even across partials, as math.fsum does. */
    if (n > 0 && ((lo < 0.0 && s->p[n - 1] < 0.0) || (lo > 0.0 && s->p[n - 1] > 0.0))) {
        double y = lo * 2.0;
        double x = hi + y;
        if (y == x - hi) {
            hi = x;
        }
    }
    return hi;
}

/* ------------------------------------------------------------ NgramWeights */

/* Tokens are found by their str hash (cached in the str object) and compared
 * by content; pairs of token ids are packed in 64 bits. */
typedef struct {
    PyObject *token; /* NULL: free slot */
    Py_hash_t hash;
    int32_t local; /* in a window: rank of first occurrence */
    int32_t model; /* id in the model's vocabulary; -1: not in it */
} TokenSlot;

typedef struct {
    uint64_t key; /* EMPTY_PAIR: free slot */
    double weight;
} PairSlot;

#define EMPTY_PAIR UINT64_MAX

typedef struct {
    PyObject_HEAD
    PyObject *ids;      /* dict: token -> id, for every token of a weighted n-gram; owns them */
    TokenSlot *vocab;   /* the same, as a table the window loop probes without dict calls */
    size_t vocab_mask;
    double *unigram;    /* weight by token id; 0.0: none. Set last: "initialised" */
    PairSlot *pairs;    /* (id, id) -> bigram weight */
    size_t pair_mask;
    char *scratch;      /* reused by window(): no allocation per call (the GIL is held) */
    size_t scratch_size;
} NgramWeights;

static inline size_t
mix(uint64_t key) /* spreads the bits of a pair key over the table index */
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key;
}

static size_t
table_size(Py_ssize_t items, size_t load_percent) /* a power of two at most that full */
{
    size_t size = 16;
    while (size * load_percent < (size_t)items * 100) {
        size *= 2;
    }
    return size;
}

/* The model's tables are probed ~250 times per KB and miss the caches: 2/3 full
 * keeps them small (~0.9 MB). A window's own tables are small: half full. */
#define MODEL_LOAD 67
#define WINDOW_LOAD 50

static inline int
same_str(PyObject *a, PyObject *b)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(a);
    return a == b ||
           (length == PyUnicode_GET_LENGTH(b) && PyUnicode_KIND(a) == PyUnicode_KIND(b) &&
            memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), length * PyUnicode_KIND(a)) == 0);
}

/* The slot holding ``token``, or the free slot where it would go. */
static inline TokenSlot *
find_token(TokenSlot *table, size_t mask, PyObject *token, Py_hash_t hash)
{
    size_t slot = (size_t)hash & mask;
    while (table[slot].token != NULL &&
           !(table[slot].hash == hash && same_str(table[slot].token, token))) {
        slot = (slot + 1) & mask;
    }
    return &table[slot];
}

static inline double
pair_weight(const NgramWeights *self, uint64_t pair)
{
    size_t slot = mix(pair) & self->pair_mask;
    while (self->pairs[slot].key != EMPTY_PAIR) {
        if (self->pairs[slot].key == pair) {
            return self->pairs[slot].weight;
        }
        slot = (slot + 1) & self->pair_mask;
    }
    return 0.0;
}

static int
weight_of(PyObject *value, double *weight)
{
    *weight = PyFloat_AsDouble(value);
    if (*weight == -1.0 && PyErr_Occurred()) {
        return -1;
    }
    if (!isfinite(*weight)) {
        PyErr_SetString(PyExc_ValueError, "n-gram weights must be finite");
        return -1;
    }
    return 0;
}

/* The id of a model token, numbering it if new; -1 on error. */
static Py_ssize_t
number_token(PyObject *ids, PyObject *token)
{
    if (!PyUnicode_CheckExact(token)) {
        PyErr_SetString(PyExc_TypeError, "n-gram tokens must be str");
        return -1;
    }
    PyObject *number = PyLong_FromSsize_t(PyDict_GET_SIZE(ids));
    if (number == NULL) {
        return -1;
    }
    PyObject *id = PyDict_SetDefault(ids, token, number); /* borrowed */
    Py_DECREF(number);
    return id == NULL ? -1 : PyLong_AsSsize_t(id);
}

static int
load_weights(NgramWeights *self, PyObject *unigrams, PyObject *bigrams)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    double weight;
    while (PyDict_Next(bigrams, &pos, &key, &value)) {
        if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 2) {
            PyErr_SetString(PyExc_TypeError, "bigram keys must be 2-tuples of str");
            return -1;
        }
        Py_ssize_t a = number_token(self->ids, PyTuple_GET_ITEM(key, 0));
        Py_ssize_t b = a < 0 ? a : number_token(self->ids, PyTuple_GET_ITEM(key, 1));
        if (b < 0 || weight_of(value, &weight) < 0) {
            return -1;
        }
        uint64_t pair = ((uint64_t)a << 32) | (uint64_t)b;
        size_t slot = mix(pair) & self->pair_mask;
        while (self->pairs[slot].key != EMPTY_PAIR && self->pairs[slot].key != pair) {
            slot = (slot + 1) & self->pair_mask;
        }
        self->pairs[slot].key = pair;
        self->pairs[slot].weight = weight; /* 0.0 is skipped at use, as filter(None, ...) */
    }
    pos = 0;
    while (PyDict_Next(unigrams, &pos, &key, &value)) {
        Py_ssize_t id = number_token(self->ids, key);
        if (id < 0 || weight_of(value, &weight) < 0) {
            return -1;
        }
        self->unigram[id] = weight;
    }
    return 0;
}

static int
build_vocab(NgramWeights *self)
{
    size_t size = table_size(PyDict_GET_SIZE(self->ids), MODEL_LOAD);
    self->vocab = PyMem_Calloc(size, sizeof(TokenSlot));
    if (self->vocab == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->vocab_mask = size - 1;
    PyObject *token, *id;
    Py_ssize_t pos = 0;
    while (PyDict_Next(self->ids, &pos, &token, &id)) {
        Py_hash_t hash = PyObject_Hash(token);
        if (hash == -1) {
            return -1;
        }
        TokenSlot *slot = find_token(self->vocab, self->vocab_mask, token, hash);
        slot->token = token; /* owned by self->ids */
        slot->hash = hash;
        slot->model = (int32_t)PyLong_AsSsize_t(id);
    }
    return 0;
}

static int
NgramWeights_init(NgramWeights *self, PyObject *args, PyObject *kwargs)
{
    PyObject *unigrams, *bigrams;
    static char *names[] = {"unigrams", "bigrams", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!:NgramWeights", names, &PyDict_Type,
                                     &unigrams, &PyDict_Type, &bigrams)) {
        return -1;
    }
    if (self->ids != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "NgramWeights is already initialised");
        return -1;
    }
    Py_ssize_t most = PyDict_GET_SIZE(unigrams) + 2 * PyDict_GET_SIZE(bigrams);
    if (most >= INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "too many n-grams");
        return -1;
    }
    size_t size = table_size(PyDict_GET_SIZE(bigrams), MODEL_LOAD);
    self->ids = PyDict_New();
    self->pairs = PyMem_Malloc(size * sizeof(PairSlot));
    double *unigram = PyMem_Calloc(most + 1, sizeof(double));
    if (self->ids == NULL || self->pairs == NULL || unigram == NULL) {
        PyMem_Free(unigram);
        PyErr_NoMemory();
        return -1;
    }
    self->pair_mask = size - 1;
    memset(self->pairs, 0xff, size * sizeof(PairSlot)); /* keys EMPTY_PAIR */
    self->unigram = unigram;
    if (load_weights(self, unigrams, bigrams) < 0 || build_vocab(self) < 0) {
        self->unigram = NULL; /* stays unusable; dealloc frees what was built */
        PyMem_Free(unigram);
        return -1;
    }
    return 0;
}

/* Fills ``ids`` (local id, model id per token), adds the distinct unigrams'
 * weights to ``sum``; returns the number of distinct tokens, -1 on error. */
static Py_ssize_t
distinct_tokens(NgramWeights *self, PyObject *const *items, Py_ssize_t n, int32_t (*ids)[2],
                TokenSlot *table, size_t mask, Partials *sum)
{
    Py_ssize_t distinct = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *token = items[i];
        if (!PyUnicode_CheckExact(token)) {
            PyErr_SetString(PyExc_TypeError, "tokens must be str");
            return -1;
        }
#if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_READY(token) < 0) {
            return -1;
        }
#endif
        Py_hash_t hash = PyObject_Hash(token);
        if (hash == -1) {
            return -1;
        }
        TokenSlot *entry = find_token(table, mask, token, hash);
        if (entry->token == NULL) { /* first occurrence */
            TokenSlot *known = find_token(self->vocab, self->vocab_mask, token, hash);
            int32_t model = known->token == NULL ? -1 : known->model;
            double weight = model < 0 ? 0.0 : self->unigram[model];
            if (weight != 0.0 && partials_add(sum, weight) < 0) {
                return -1;
            }
            entry->token = token;
            entry->hash = hash;
            entry->local = (int32_t)distinct++;
            entry->model = model;
        }
        ids[i][0] = entry->local;
        ids[i][1] = entry->model;
    }
    return distinct;
}

/* Adds the distinct pairs' weights to ``sum``; returns their number, -1 on error. */
static Py_ssize_t
distinct_pairs(NgramWeights *self, int32_t (*ids)[2], Py_ssize_t n, uint64_t *seen, size_t mask,
               Partials *sum)
{
    Py_ssize_t distinct = 0;
    for (Py_ssize_t i = 1; i < n; i++) {
        uint64_t pair = ((uint64_t)ids[i - 1][0] << 32) | (uint64_t)ids[i][0];
        size_t slot = mix(pair) & mask;
        while (seen[slot] != EMPTY_PAIR && seen[slot] != pair) {
            slot = (slot + 1) & mask;
        }
        if (seen[slot] == pair) {
            continue;
        }
        seen[slot] = pair;
        distinct++;
        if (ids[i - 1][1] >= 0 && ids[i][1] >= 0) {
            double weight =
                pair_weight(self, ((uint64_t)ids[i - 1][1] << 32) | (uint64_t)ids[i][1]);
            if (weight != 0.0 && partials_add(sum, weight) < 0) {
                return -1;
            }
        }
    }
    return distinct;
}

static PyObject *
NgramWeights_window(NgramWeights *self, PyObject *args)
{
    PyObject *tokens;
    Py_ssize_t start, end;
    if (!PyArg_ParseTuple(args, "O!nn:window", &PyList_Type, &tokens, &start, &end)) {
        return NULL;
    }
    if (self->unigram == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "NgramWeights is not initialised");
        return NULL;
    }
    /* As tokens[start:end], negative indices included. */
    Py_ssize_t n = PySlice_AdjustIndices(PyList_GET_SIZE(tokens), &start, &end, 1);
    size_t size = table_size(n, WINDOW_LOAD);
    /* Scratch: the window's token table, the ids per token, the set of seen pairs. */
    size_t need = size * (sizeof(TokenSlot) + sizeof(uint64_t)) + n * 2 * sizeof(int32_t);
    if (need > self->scratch_size) {
        char *grown = PyMem_Realloc(self->scratch, need);
        if (grown == NULL) {
            return PyErr_NoMemory();
        }
        self->scratch = grown;
        self->scratch_size = need;
    }
    TokenSlot *table = (TokenSlot *)self->scratch;
    uint64_t *seen = (uint64_t *)(self->scratch + size * sizeof(TokenSlot));
    int32_t(*ids)[2] = (int32_t(*)[2])(self->scratch + size * (sizeof(TokenSlot) + sizeof(uint64_t)));
    memset(table, 0, size * sizeof(TokenSlot));
    memset(seen, 0xff, size * sizeof(uint64_t)); /* EMPTY_PAIR */
    Partials sum;
    partials_init(&sum);
    PyObject *result = NULL;
    Py_ssize_t unigrams = distinct_tokens(self, PySequence_Fast_ITEMS(tokens) + start, n, ids,
                                          table, size - 1, &sum);
    Py_ssize_t pairs = unigrams < 0 ? -1 : distinct_pairs(self, ids, n, seen, size - 1, &sum);
    if (pairs >= 0) {
        result = Py_BuildValue("(dn)", partials_sum(&sum), unigrams + pairs);
    }
    partials_free(&sum);
    return result;
}

static void
NgramWeights_dealloc(NgramWeights *self)
{
    PyMem_Free(self->vocab);
    Py_XDECREF(self->ids);
    PyMem_Free(self->unigram);
    PyMem_Free(self->pairs);
    PyMem_Free(self->scratch);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef NgramWeights_methods[] = {
    {"window", (PyCFunction)NgramWeights_window, METH_VARARGS,
     "window(tokens, start, end) -> (fsum of the distinct n-grams' weights, distinct n-grams)"},
    {NULL},
};

static PyTypeObject NgramWeightsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ramparts.detectors._native.NgramWeights",
    .tp_basicsize = sizeof(NgramWeights),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "NgramWeights(unigrams: dict[str, float], bigrams: dict[tuple[str, str], float])",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)NgramWeights_init,
    .tp_dealloc = (destructor)NgramWeights_dealloc,
    .tp_methods = NgramWeights_methods,
};

/* ------------------------------------------------------------------ module */

static PyMethodDef module_methods[] = {
    {"tokenize", tokenize, METH_O, "re.findall(r'\\w+|[^\\w\\s]{1,3}', view)"},
    {NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "ramparts.detectors._native",
    .m_doc = "Compiled kernels of the detectors; see ramparts.detectors.native.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__native(void)
{
    for (Py_UCS4 ch = 0; ch < 256; ch++) {
        latin1_class[ch] = (Py_UNICODE_ISALNUM(ch) || ch == '_') ? WORD
                           : Py_UNICODE_ISSPACE(ch)              ? SPACE
                                                                 : MARK;
    }
    memcpy(ascii_class, latin1_class, sizeof(ascii_class));
    memset(ascii_class + 0x1c, MARK, 4);
    if (PyType_Ready(&NgramWeightsType) < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&native_module);
    if (module == NULL) {
        return NULL;
    }
    if (PyModule_AddStringConstant(module, "SOURCE_SHA256", RAMPARTS_NATIVE_SOURCE) < 0 ||
        PyModule_AddObjectRef(module, "NgramWeights", (PyObject *)&NgramWeightsType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
