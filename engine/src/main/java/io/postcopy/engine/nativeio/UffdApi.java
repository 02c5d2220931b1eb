package io.postcopy.engine.nativeio;

/**
 * The answer of {@code UFFDIO_API}: what was asked for, what the kernel offers, and which ioctls the fd takes.
 * The kernel enables exactly the requested features (it refuses the call if one is unknown to it), so
 * {@code requestedFeatures} is also what is in force.
 *
 * @param requestedFeatures the {@code UFFD_FEATURE_*} bits asked for, and now enabled
 * @param availableFeatures every feature bit this kernel offers (answered by the kernel)
 * @param ioctls            bit {@code n} set: ioctl number {@code _UFFDIO_*} = n is supported on the fd
 */
public record UffdApi(long requestedFeatures, long availableFeatures, long ioctls) {
    /** True if {@code feature} (one or more {@code UFFD_FEATURE_*} bits) was asked for and is in force. */
    public boolean isEnabled(long feature) {
        return (requestedFeatures & feature) == feature;
    }

    /** True if {@code feature} was asked for and the kernel's answer lists it as available: it is in force. */
    public boolean isGranted(long feature) {
        return isEnabled(feature) && (availableFeatures & feature) == feature;
    }
}
