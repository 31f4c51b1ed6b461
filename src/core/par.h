/*
 * par.h - a parallel loop for read paths that must use every core (trace
 * search over many granules, span briefs over many parts).
 *
 * ol_par_for runs fn(ud, i) for every i in [0, n) on up to `threads` threads,
 * the caller's among them; items are handed out in index order from a
 * shared counter, so a slow item does not hold up the others. Helper threads
 * are started per call (tens of microseconds, small against the work this is
 * meant for) and joined before it returns. fn must be safe to run
 * concurrently with itself on different items; results go to per-item
 * slots the caller owns. When an item fails, no further items are started,
 * and the failure of the lowest failing index is returned, so the result
 * does not depend on scheduling. If a thread cannot be started, the work
 * runs on the threads that could be (at least the caller's).
 */
#ifndef OL_CORE_PAR_H
#define OL_CORE_PAR_H
#include <stddef.h>

typedef int (*ol_par_fn)(void *ud, size_t i);
int ol_par_for(size_t n, unsigned threads, ol_par_fn fn, void *ud);

/* Online CPUs (at least 1, at most 64). */
unsigned ol_par_cpus(void);

#endif
