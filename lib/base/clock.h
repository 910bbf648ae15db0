/* clock.h: the clocks every module reads, in the units they use. Monotonic time for timeouts and
 * schedules (it never jumps with the wall clock); wall-clock time for what is shared with other
 * processes or hosts (the breaker file, the web server's request stamps). */
#ifndef STARLING_CLOCK_H
#define STARLING_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline uint64_t
clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline uint64_t
clock_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Wall-clock seconds: the created_at / updated_at of every row, and the expiry of what is stored. */
static inline int64_t
clock_now_s(void)
{
	return (int64_t)time(NULL);
}

#endif
