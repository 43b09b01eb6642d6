// For scripts/portable-check only: GCC's libstdc++ on glibc calls two GNU
// pthread functions from <mutex> when _GNU_SOURCE is off. They are
// declared here so that the check reports hvym's own non-POSIX calls only.
#pragma once
#include <pthread.h>
#include <time.h>
extern "C" {
int pthread_cond_clockwait(pthread_cond_t*, pthread_mutex_t*, clockid_t, const struct timespec*);
int pthread_mutex_clocklock(pthread_mutex_t*, clockid_t, const struct timespec*);
}
