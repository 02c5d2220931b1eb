package io.postcopy.engine.port;

/** Why a page travelled: the report counts each page once under one of these. */
public enum PageOrigin {
    /** Fetched because a vCPU or device faulted on it (urgent channel). */
    DEMAND,
    /** Pushed by the background stream. */
    BACKGROUND,
    /** Sent during a precopy round while the source still ran. */
    PRECOPY
}
