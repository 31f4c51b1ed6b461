/*
 * par.c - ol_par_for (par.h): a shared atomic counter hands out items; the
 * first failing item lowers `failed_at`, and items above it are not started.
 */
#include "core/par.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "core/common.h"

#define OL_PAR_MAX_THREADS 64

typedef struct ol_par {
    ol_par_fn fn;
    void *ud;
    size_t n;
    atomic_size_t next;
    atomic_size_t failed_at; /* lowest failing index, n when none */
    atomic_int failed_rc;    /* rc of failed_at (written under the CAS below) */
    pthread_mutex_t mu;
} ol_par_t;

static void ol_par_fail(ol_par_t *p, size_t i, int rc)
{
    pthread_mutex_lock(&p->mu);
    if (i < atomic_load(&p->failed_at)) {
        atomic_store(&p->failed_at, i);
        atomic_store(&p->failed_rc, rc);
    }
    pthread_mutex_unlock(&p->mu);
}

static void ol_par_run(ol_par_t *p)
{
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n || i > atomic_load(&p->failed_at)) return;
        int rc = p->fn(p->ud, i);
        if (rc) ol_par_fail(p, i, rc);
    }
}

static void *ol_par_thread(void *arg)
{
    ol_par_run(arg);
    return NULL;
}

int ol_par_for(size_t n, unsigned threads, ol_par_fn fn, void *ud)
{
    if (!n) return OL_OK;
    if (threads > OL_PAR_MAX_THREADS) threads = OL_PAR_MAX_THREADS;
    if ((size_t)threads > n) threads = (unsigned)n;
    ol_par_t p = {.fn = fn, .ud = ud, .n = n};
    atomic_init(&p.next, 0);
    atomic_init(&p.failed_at, n);
    atomic_init(&p.failed_rc, OL_OK);
    pthread_mutex_init(&p.mu, NULL);
    pthread_t t[OL_PAR_MAX_THREADS];
    unsigned started = 0;
    for (unsigned k = 1; k < threads; k++)
        if (pthread_create(&t[started], NULL, ol_par_thread, &p) == 0) started++;
    ol_par_run(&p);
    for (unsigned k = 0; k < started; k++) pthread_join(t[k], NULL);
    pthread_mutex_destroy(&p.mu);
    return atomic_load(&p.failed_at) < n ? atomic_load(&p.failed_rc) : OL_OK;
}

unsigned ol_par_cpus(void)
{
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c < 1 ? 1 : c > OL_PAR_MAX_THREADS ? OL_PAR_MAX_THREADS : (unsigned)c;
}
