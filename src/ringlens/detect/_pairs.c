/* Co-interaction pairs for ringlens.detect (significant communities, lockstep, shared
 * targets), built at install time as the optional extension module ringlens.detect._pairs.
 *
 * The module itself is empty (PyInit__pairs only); Python imports it, then calls the plain
 * C function ringlens_cohits() through ctypes on the same shared object (as _peel does).
 * Only the C99 standard library is used.
 *
 * ringlens_cohits() lists the pairs of rows (a < b) of a binary matrix that share at least
 * `min_shared` columns, with the number they share. The matrix is given twice: by rows
 * (rptr, rind: the columns of each row) and by columns (cptr, cind: the rows of each
 * column, ascending). Rows are visited in ascending order; for a row a and each of its
 * columns t, the rows of t after a are counted in a dense accumulator (`acc`, one slot per
 * row, zero on entry and on exit). Because rows are visited in order, the position of a in
 * the list of t is a cursor that moves one step each time t is visited: no search. The
 * work is sum over columns of d (d - 1) / 2 increments, d the column's row count, and only
 * the pairs that reach `min_shared` are written, so the full co-occurrence matrix (most of
 * whose entries are 1) never exists.
 *
 * Output: up to `capacity` pairs in (out_a, out_b, out_c), in (a, b) order; the return
 * value is the number of pairs found (when it exceeds `capacity`, the caller allocates
 * that many and calls again). Negative on an allocation failure. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)
#define RINGLENS_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define RINGLENS_EXPORT __attribute__((visibility("default")))
#else
#define RINGLENS_EXPORT
#endif

static int cmp_i32(const void *x, const void *y) {
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return (a > b) - (a < b);
}

RINGLENS_EXPORT int64_t ringlens_cohits(int64_t n_rows, int64_t n_cols, const int64_t *rptr,
                                        const int32_t *rind, const int64_t *cptr,
                                        const int32_t *cind, int32_t min_shared,
                                        int64_t capacity, int32_t *out_a, int32_t *out_b,
                                        int32_t *out_c) {
    int32_t *acc = (int32_t *)calloc((size_t)(n_rows > 0 ? n_rows : 1), sizeof(int32_t));
    int32_t *touched = (int32_t *)malloc((size_t)(n_rows > 0 ? n_rows : 1) * sizeof(int32_t));
    int64_t *cursor = (int64_t *)malloc((size_t)(n_cols > 0 ? n_cols : 1) * sizeof(int64_t));
    int64_t found = 0;
    if (acc == NULL || touched == NULL || cursor == NULL) {
        free(acc);
        free(touched);
        free(cursor);
        return -1;
    }
    memcpy(cursor, cptr, (size_t)n_cols * sizeof(int64_t));
    for (int64_t a = 0; a < n_rows; a++) {
        int64_t n_touched = 0;
        for (int64_t i = rptr[a]; i < rptr[a + 1]; i++) {
            int32_t t = rind[i];
            /* cind[cursor[t]] == a: the rows after it are the b > a of this column */
            int64_t start = ++cursor[t];
            int64_t end = cptr[t + 1];
            for (int64_t j = start; j < end; j++) {
                int32_t b = cind[j];
                if (acc[b]++ == 0) touched[n_touched++] = b;
            }
        }
        /* keep the rows that reach min_shared (compacted in place), reset the rest */
        int64_t n_hits = 0;
        for (int64_t i = 0; i < n_touched; i++) {
            int32_t b = touched[i];
            if (acc[b] >= min_shared) touched[n_hits++] = b;
            else acc[b] = 0;
        }
        if (n_hits > 1) qsort(touched, (size_t)n_hits, sizeof(int32_t), cmp_i32);
        for (int64_t i = 0; i < n_hits; i++) {
            int32_t b = touched[i];
            if (found < capacity) {
                out_a[found] = (int32_t)a;
                out_b[found] = b;
                out_c[found] = acc[b];
            }
            found++;
            acc[b] = 0;
        }
    }
    free(acc);
    free(touched);
    free(cursor);
    return found;
}

static struct PyModuleDef pairs_module = {
    PyModuleDef_HEAD_INIT,
    "_pairs",
    "Co-interaction pair counts in C for ringlens.detect (called through ctypes: "
    "ringlens_cohits).",
    -1,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__pairs(void) { return PyModule_Create(&pairs_module); }
