/**
 * The userfaultfd backend: guest RAM is an anonymous mapping registered with Linux userfaultfd (MISSING mode), the
 * kernel raises faults, a handler agent turns them into demand requests, and installs are {@code UFFDIO_COPY}.
 * Guest-side accesses run in native state (non-critical downcalls), Java-side readers wait in Java, so no
 * safepoint ever waits for a kernel-blocked thread (shared/DESIGN.md, "The JVM safepoint rule").
 */
package io.postcopy.engine.backend.uffd;
