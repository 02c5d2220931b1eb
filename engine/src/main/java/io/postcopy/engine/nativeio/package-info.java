/**
 * Foreign-function bindings to libc and Linux (mmap, madvise, userfaultfd, ioctl, poll, read). This is the one
 * package of the project allowed {@code @SuppressWarnings("restricted")}: every restricted FFM call lives here,
 * every call captures {@code errno}, and every failure becomes a {@link io.postcopy.engine.error.PostcopyException}
 * with code {@code NATIVE} that names the call and the errno.
 */
package io.postcopy.engine.nativeio;
