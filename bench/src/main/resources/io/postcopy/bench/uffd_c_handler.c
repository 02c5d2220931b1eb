/*
 * Baseline for the Java userfaultfd handler: the cost of one MISSING fault resolved by a C handler thread.
 *
 * Maps N anonymous pages, registers them with userfaultfd (MISSING mode), starts a handler thread that
 * answers every fault with UFFDIO_COPY of a pattern page, and a toucher thread that reads one byte of every
 * page in order. Prints ns/fault (wall time of the touch loop divided by N), and checks every page's content.
 *
 * Shipped as a resource of the bench jar: io.postcopy.bench.UffdFaultCost compiles and runs it next to the Java
 * handler. By hand (root, or vm.unprivileged_userfaultfd=1; falls back to UFFD_USER_MODE_ONLY):
 *   gcc -O2 -pthread -o /tmp/uffd_c_handler bench/src/main/resources/io/postcopy/bench/uffd_c_handler.c
 *   /tmp/uffd_c_handler [pages=20000]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096L

static int uffd;
static char *region;
static long pages;
static volatile int done;

static void die(const char *what) {
    perror(what);
    exit(1);
}

static long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void *handler(void *arg) {
    (void) arg;
    char *src = aligned_alloc(PAGE, PAGE);
    struct uffd_msg msgs[16];
    while (!done) {
        struct pollfd pfd = { .fd = uffd, .events = POLLIN };
        if (poll(&pfd, 1, 100) <= 0) {
            continue;
        }
        ssize_t n = read(uffd, msgs, sizeof msgs);
        if (n < 0) {
            if (errno == EAGAIN) {
                continue;
            }
            die("read");
        }
        for (long i = 0; i < n / (long) sizeof msgs[0]; i++) {
            if (msgs[i].event != UFFD_EVENT_PAGEFAULT) {
                continue;
            }
            unsigned long addr = msgs[i].arg.pagefault.address & ~(PAGE - 1);
            long index = (long) (addr - (unsigned long) region) / PAGE;
            memset(src, (int) (index & 0xff), PAGE);
            struct uffdio_copy copy = { .dst = addr, .src = (unsigned long) src, .len = PAGE, .mode = 0 };
            if (ioctl(uffd, UFFDIO_COPY, &copy) < 0 && errno != EEXIST) {
                die("UFFDIO_COPY");
            }
        }
    }
    free(src);
    return NULL;
}

int main(int argc, char **argv) {
    pages = argc > 1 ? atol(argv[1]) : 20000;
    uffd = (int) syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    if (uffd < 0 && errno == EPERM) {
        uffd = (int) syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
    }
    if (uffd < 0) {
        die("userfaultfd");
    }
    struct uffdio_api api = { .api = UFFD_API, .features = 0 };
    if (ioctl(uffd, UFFDIO_API, &api) < 0) {
        die("UFFDIO_API");
    }
    region = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) {
        die("mmap");
    }
    struct uffdio_register reg = {
        .range = { .start = (unsigned long) region, .len = pages * PAGE },
        .mode = UFFDIO_REGISTER_MODE_MISSING,
    };
    if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0) {
        die("UFFDIO_REGISTER");
    }
    pthread_t thread;
    pthread_create(&thread, NULL, handler, NULL);

    long start = now_ns();
    long sum = 0;
    for (long i = 0; i < pages; i++) {
        sum += ((volatile char *) region)[i * PAGE];
    }
    long elapsed = now_ns() - start;
    done = 1;
    pthread_join(thread, NULL);

    long bad = 0;
    for (long i = 0; i < pages; i++) {
        bad += region[i * PAGE + PAGE - 1] != (char) (i & 0xff);
    }
    printf("pages=%ld faults=%ld ns/fault=%.1f bad=%ld checksum=%ld\n", pages, pages,
           (double) elapsed / (double) pages, bad, sum);
    return bad == 0 ? 0 : 2;
}
