/**
 * The system generation counter that tells the guest it was migrated, restored or cloned, with the semantics of
 * the sysgenid proposal: a lock-free counter page, watchers that see a new generation until they acknowledge it,
 * and a wait for all watchers with a timeout.
 */
package io.postcopy.engine.genid;
