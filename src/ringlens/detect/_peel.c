/* FRAUDAR greedy peeling for ringlens.detect.dense, built at install time as the optional
 * extension module ringlens.detect._peel.
 *
 * The module itself is empty (PyInit__peel only); Python imports it, then calls the plain
 * C function ringlens_fraudar() through ctypes on the same shared object. Only the C99
 * standard library is used (no libm; madvise on Linux), so it builds with any C compiler
 * setuptools finds.
 *
 * ringlens_fraudar() does one block of FRAUDAR on a canonical CSR matrix (entries >= 0)
 * and given column weights: it converts the weighted entries to int64 fixed point
 * (round-half-even of data * cw * scale, as numpy.rint), peels greedily (always the node with the
 * smallest (priority, index), rows before columns on equal priority) and tracks the
 * densest prefix exactly (128-bit products, earliest wins).
 *
 * Layout. Rows are renumbered by (initial priority, index) (LSD radix sort) and the CSR
 * copy is built in that order; the CSC copy refers to rows by these local numbers. Each
 * side (rows, columns) keeps the nodes whose priority never changed in that sorted order
 * (identity for rows, a sorted list for columns) and the nodes whose priority dropped in
 * an indexed 4-ary min-heap; its minimum is the smaller of the next unchanged node and the
 * heap's root. Most rows of a sparse matrix are removed before any of their columns, so
 * most removals are a step forwards through the row arrays. Heap entries carry
 * (original index << 32 | local number), so that ties between equal priorities are still
 * broken by the original index. A bitmap of the nodes not yet removed is read before
 * anything else when a neighbour is removed. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#if defined(_WIN32)
#define RINGLENS_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define RINGLENS_EXPORT __attribute__((visibility("default")))
#else
#define RINGLENS_EXPORT
#endif

/* malloc, but large blocks on Linux are 2 MiB aligned and marked for transparent huge
   pages: the peeling reads and writes them at random, and with 4 KiB pages nearly every
   such access would also miss the TLB. Free with free(). */
static void *big_alloc(size_t size) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (size >= ((size_t)16 << 20)) {
        void *p = NULL;
        size_t huge = (size_t)2 << 20;
        if (posix_memalign(&p, huge, (size + huge - 1) / huge * huge) == 0) {
            madvise(p, (size + huge - 1) / huge * huge, MADV_HUGEPAGE); /* a hint only */
            return p;
        }
        return NULL;
    }
#endif
    return malloc(size);
}

typedef struct {
    int64_t key;
    int64_t id; /* (original index << 32) | local number */
} entry;

#define LESS(a, b) ((a).key < (b).key || ((a).key == (b).key && (a).id < (b).id))
#define LOCAL(id) ((int64_t)((id) & 0xffffffff))
#define UNMOD (-2) /* pos[]: priority unchanged, not in the heap */
#define GONE (-1)  /* pos[]: removed */

typedef struct {
    int64_t head, len;   /* unchanged nodes are among list[head .. len-1] */
    const int32_t *list; /* local numbers by (initial priority, original index); NULL: 0, 1, ... */
    const int32_t *orig; /* by local number: original index; NULL: the same */
    const int64_t *init; /* by local number: initial priority */
    int32_t *pos;        /* by local number: heap position, UNMOD or GONE */
    uint64_t *alive;     /* by local number: bit set while not removed (a compact copy of
                            pos >= UNMOD, read first when a neighbour is removed) */
    entry *heap;         /* heap[0] is the root; children of i are 4i+1 .. 4i+4 */
    int64_t size;
} side;

#define LIST(s, h) ((s)->list ? (int64_t)(s)->list[h] : (h))
#define ORIG(s, u) ((s)->orig ? (int64_t)(s)->orig[u] : (u))

static void sift_up(entry *heap, int32_t *pos, int64_t i) {
    entry v = heap[i];
    while (i > 0) {
        int64_t p = (i - 1) >> 2;
        if (!LESS(v, heap[p])) break;
        heap[i] = heap[p];
        pos[LOCAL(heap[i].id)] = (int32_t)i;
        i = p;
    }
    heap[i] = v;
    pos[LOCAL(v.id)] = (int32_t)i;
}

static void sift_down(entry *heap, int32_t *pos, int64_t size, int64_t i) {
    entry v = heap[i];
    for (;;) {
        int64_t c = 4 * i + 1, best = c;
        if (c >= size) break;
        int64_t last = c + 4 < size ? c + 4 : size;
        for (int64_t d = c + 1; d < last; d++)
            if (LESS(heap[d], heap[best])) best = d;
        if (!LESS(heap[best], v)) break;
        heap[i] = heap[best];
        pos[LOCAL(heap[i].id)] = (int32_t)i;
        i = best;
    }
    heap[i] = v;
    pos[LOCAL(v.id)] = (int32_t)i;
}

/* Smallest alive node of a non-empty side; *from_heap tells where it is. */
static entry peek(side *s, int *from_heap) {
    while (s->head < s->len && s->pos[LIST(s, s->head)] != UNMOD) s->head++;
    if (s->head < s->len) {
        int64_t u = LIST(s, s->head);
        entry e;
        e.key = s->init[u];
        e.id = (ORIG(s, u) << 32) | u;
        if (s->size == 0 || LESS(e, s->heap[0])) {
            *from_heap = 0;
            return e;
        }
    }
    *from_heap = 1;
    return s->heap[0];
}

static void take(side *s, int from_heap, int64_t u) {
    if (from_heap) {
        s->size--;
        if (s->size > 0) {
            s->heap[0] = s->heap[s->size];
            s->pos[LOCAL(s->heap[0].id)] = 0;
            sift_down(s->heap, s->pos, s->size, 0);
        }
    } else {
        s->head++;
    }
    s->pos[u] = GONE;
    s->alive[u >> 6] &= ~((uint64_t)1 << (u & 63));
}

static void decrease(side *s, int64_t u, int64_t w) {
    if (!((s->alive[u >> 6] >> (u & 63)) & 1)) return;
    int64_t p = s->pos[u];
    if (p == UNMOD) {
        p = s->size++;
        s->heap[p].key = s->init[u] - w;
        s->heap[p].id = (ORIG(s, u) << 32) | u;
    } else {
        s->heap[p].key -= w;
    }
    sift_up(s->heap, s->pos, p);
}

/* Stable LSD radix sort of (key, id) by key (keys >= 0), 11 bits a pass; passes in which
   every key has the same digit are skipped. tmp has room for len entries. Returns -1 when
   out of memory. */
static int radix_sort(entry *a, entry *tmp, int64_t len) {
    enum { BITS = 11, BUCKETS = 1 << BITS, PASSES = 6 };
    int64_t *count = calloc((size_t)PASSES * BUCKETS, sizeof(int64_t));
    if (count == NULL) return -1;
    for (int64_t i = 0; i < len; i++) {
        uint64_t k = (uint64_t)a[i].key;
        for (int p = 0; p < PASSES; p++) count[p * BUCKETS + ((k >> (p * BITS)) & (BUCKETS - 1))]++;
    }
    entry *src = a, *dst = tmp;
    for (int p = 0; p < PASSES; p++) {
        int64_t *c = count + p * BUCKETS, sum = 0;
        int trivial = 0;
        for (int b = 0; b < BUCKETS; b++) {
            if (c[b] == len) trivial = 1;
            int64_t t = c[b];
            c[b] = sum;
            sum += t;
        }
        if (trivial) continue;
        for (int64_t i = 0; i < len; i++) {
            entry v = src[i];
            dst[c[((uint64_t)v.key >> (p * BITS)) & (BUCKETS - 1)]++] = v;
        }
        entry *t = src;
        src = dst;
        dst = t;
    }
    if (src != a) memcpy(a, src, (size_t)len * sizeof(entry));
    free(count);
    return 0;
}

/* a * b > c * d for unsigned 64-bit values, exactly. */
static void mul128(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo) {
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    *lo = (p00 & 0xffffffffu) | (mid << 32);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

static int greater(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
    uint64_t h1, l1, h2, l2;
    mul128(a, b, &h1, &l1);
    mul128(c, d, &h2, &l2);
    return h1 > h2 || (h1 == h2 && l1 > l2);
}

/* numpy.rint(x) for 0 <= x < 2**62 without libm: round half to even. Written with
   comparisons only, so that no compiler can fuse the product that makes x into a
   multiply-add. */
static int64_t round_even(double x) {
    int64_t t = (int64_t)x;
    if (x >= 4503599627370496.0) return t; /* 2**52: x is an integer */
    double half = (double)t + 0.5;
    return t + ((x > half) | ((x == half) & (int)(t & 1)));
}

/* One FRAUDAR block.
 *
 * m, n          rows and columns (each < 2**31)
 * indptr        CSR row pointers (m + 1), indices CSR column indices (int32, in [0, n)),
 * data          entries (>= 0, finite; duplicates already summed)
 * cw            column weights (n): the weighted entry is data[e] * cw[indices[e]]
 * scale         fixed-point scale: q = round_half_even(data * cw * scale), sum(q) < 2**62
 * min_rows/cols only prefixes with at least this many rows / columns left qualify
 * order (out)   removal sequence, m + n slots: rows 0..m-1, columns m..m+n-1
 * out (out)     [0] removals, [1] best prefix length (-1: none qualifies),
 *               [2] f (fixed point) of the best prefix, [3] f of the whole matrix
 * Returns 0, -1 when out of memory, -2 when a column index is out of range. */
RINGLENS_EXPORT int64_t ringlens_fraudar(int64_t m, int64_t n, const int64_t *indptr,
                                         const int32_t *indices, const double *data,
                                         const double *cw, double scale, int64_t min_rows,
                                         int64_t min_cols, int64_t *order, int64_t *out) {
    int64_t nnz = indptr[m], N = m + n, ret = 0;
    entry *ent = big_alloc((size_t)(N + 1) * sizeof(entry));
    /* radix-sort scratch first, then both heaps: index 1 of each on a 64-byte boundary,
       so that each group of four siblings shares one cache line */
    entry *heapmem = big_alloc((size_t)(N + 16) * sizeof(entry));
    int32_t *rorig = big_alloc((size_t)(m + 1) * sizeof(int32_t));
    int32_t *rinv = big_alloc((size_t)(m + 1) * sizeof(int32_t));
    int32_t *clist = big_alloc((size_t)(n + 1) * sizeof(int32_t));
    int32_t *pos = big_alloc((size_t)(N + 1) * sizeof(int32_t));
    int64_t *init = big_alloc((size_t)(N + 1) * sizeof(int64_t));
    int64_t *rptr = big_alloc((size_t)(m + 1) * sizeof(int64_t));
    int64_t *cptr = calloc((size_t)n + 2, sizeof(int64_t));
    int32_t *rind = big_alloc((size_t)(nnz + 1) * sizeof(int32_t));
    int64_t *rq = big_alloc((size_t)(nnz + 1) * sizeof(int64_t));
    int32_t *cind = big_alloc((size_t)(nnz + 1) * sizeof(int32_t));
    int64_t *cq = big_alloc((size_t)(nnz + 1) * sizeof(int64_t));
    int64_t words_r = (m + 63) / 64 + 1, words_c = (n + 63) / 64 + 1;
    uint64_t *alive = big_alloc((size_t)(words_r + words_c) * sizeof(uint64_t));
    if (!alive || !ent || !heapmem || !rorig || !rinv || !clist || !pos || !init || !rptr || !cptr ||
        !rind || !rq || !cind || !cq) {
        ret = -1;
        goto done;
    }
    /* pass 1: row priorities (exact sums of the fixed-point weights) and column counts */
    int64_t f0 = 0;
    for (int64_t i = 0; i < m; i++) {
        int64_t s = 0;
        for (int64_t e = indptr[i]; e < indptr[i + 1]; e++) {
            int32_t j = indices[e];
            if (j < 0 || j >= n) {
                ret = -2;
                goto done;
            }
            s += round_even(data[e] * cw[j] * scale);
            cptr[j + 2]++;
        }
        ent[i].key = s;
        ent[i].id = i;
        f0 += s;
    }
    /* rows renumbered by (priority, index) */
    if (radix_sort(ent, heapmem, m)) {
        ret = -1;
        goto done;
    }
    int64_t *cprio = init + m;
    for (int64_t r = 0; r < m; r++) {
        rorig[r] = (int32_t)ent[r].id;
        rinv[ent[r].id] = (int32_t)r;
        init[r] = ent[r].key;
        pos[r] = UNMOD;
    }
    rptr[0] = 0;
    for (int64_t r = 0; r < m; r++) rptr[r + 1] = rptr[r] + (indptr[rorig[r] + 1] - indptr[rorig[r]]);
    for (int64_t j = 0; j < n; j++) {
        cptr[j + 2] += cptr[j + 1];
        cprio[j] = 0;
        pos[m + j] = UNMOD;
    }
    /* pass 2: CSR with rows in local order (each input row scattered to its place) and CSC
       (rows in local numbers), column priorities */
    for (int64_t i = 0; i < m; i++) {
        int64_t r = rinv[i], d = rptr[r];
        for (int64_t e = indptr[i]; e < indptr[i + 1]; e++, d++) {
            int32_t j = indices[e];
            int64_t q = round_even(data[e] * cw[j] * scale), c = cptr[j + 1]++;
            rind[d] = j;
            rq[d] = q;
            cind[c] = (int32_t)r;
            cq[c] = q;
            cprio[j] += q;
        }
    }
    /* columns in (priority, index) order */
    for (int64_t j = 0; j < n; j++) {
        ent[j].key = cprio[j];
        ent[j].id = j;
    }
    if (radix_sort(ent, heapmem, n)) {
        ret = -1;
        goto done;
    }
    for (int64_t j = 0; j < n; j++) clist[j] = (int32_t)ent[j].id;

    side R, C;
    uintptr_t base = (uintptr_t)heapmem + sizeof(entry);
    R.heap = (entry *)((base + 63) & ~(uintptr_t)63) - 1;
    uintptr_t cbase = (uintptr_t)(R.heap + m) + 2 * sizeof(entry);
    C.heap = (entry *)((cbase + 63) & ~(uintptr_t)63) - 1;
    R.head = C.head = R.size = C.size = 0;
    R.len = m;
    C.len = n;
    R.list = NULL;
    C.list = clist;
    R.orig = rorig;
    C.orig = NULL;
    R.init = init;
    C.init = cprio;
    R.pos = pos;
    C.pos = pos + m;
    memset(alive, 0xff, (size_t)(words_r + words_c) * sizeof(uint64_t));
    R.alive = alive;
    C.alive = alive + words_r;

    int64_t nr = m, nc = n, k = 0, f = f0, best_k = -1, best_f = 0, best_size = 1;
    if (nr >= min_rows && nc >= min_cols && N > 0) {
        best_k = 0;
        best_f = f0;
        best_size = N;
    }
    while (nr > 0 && nc > 0) {
        int rh, ch;
        entry r = peek(&R, &rh), c = peek(&C, &ch);
        if (r.key <= c.key) { /* rows win ties */
            int64_t u = LOCAL(r.id);
            take(&R, rh, u);
            order[k++] = r.id >> 32;
            f -= r.key;
            nr--;
            for (int64_t e = rptr[u]; e < rptr[u + 1]; e++) decrease(&C, rind[e], rq[e]);
        } else {
            int64_t u = LOCAL(c.id);
            take(&C, ch, u);
            order[k++] = m + u;
            f -= c.key;
            nc--;
            for (int64_t e = cptr[u]; e < cptr[u + 1]; e++) decrease(&R, cind[e], cq[e]);
        }
        if (nr >= min_rows && nc >= min_cols && nr + nc > 0 &&
            (best_k < 0 || greater((uint64_t)f, (uint64_t)best_size, (uint64_t)best_f,
                                   (uint64_t)(nr + nc)))) {
            best_k = k;
            best_f = f;
            best_size = nr + nc;
        }
    }
    out[0] = k;
    out[1] = best_k;
    out[2] = best_f;
    out[3] = f0;
done:
    free(ent);
    free(heapmem);
    free(rorig);
    free(rinv);
    free(clist);
    free(pos);
    free(init);
    free(rptr);
    free(cptr);
    free(rind);
    free(rq);
    free(cind);
    free(cq);
    free(alive);
    return ret;
}

static struct PyModuleDef peel_module = {
    PyModuleDef_HEAD_INIT,
    "_peel",
    "FRAUDAR peeling in C for ringlens.detect.dense (called through ctypes: ringlens_fraudar).",
    -1,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__peel(void) { return PyModule_Create(&peel_module); }
