package io.postcopy.engine.device;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;

import static io.postcopy.engine.device.DeviceMigrationState.PRE_COPY;
import static io.postcopy.engine.device.DeviceMigrationState.PRE_COPY_P2P;
import static io.postcopy.engine.device.DeviceMigrationState.RUNNING;
import static io.postcopy.engine.device.DeviceMigrationState.STOP_COPY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every (from, target) pair under every capability combination, against an expectation table written out from
 * the kernel (resource {@code vfio-migration-paths.txt}) and an arc list written out from the comment of
 * {@code vfio_mig_get_next_state()} — neither computed by the code under test.
 */
class MigrationArcsTest {
    private static final Map<String, Map<String, List<DeviceMigrationState>>> EXPECTED_PATHS = loadExpectedPaths();

    static Stream<Arguments> everyPairUnderEveryCapabilities() {
        List<Arguments> cases = new ArrayList<>();
        for (MigrationCapabilities capabilities : MigrationCapabilities.combinations()) {
            for (DeviceMigrationState from : DeviceMigrationState.values()) {
                for (DeviceMigrationState to : DeviceMigrationState.values()) {
                    cases.add(Arguments.of(capabilities, from, to));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "[{0}] {1} -> {2}")
    @MethodSource("everyPairUnderEveryCapabilities")
    void shouldWalkTheKernelPathWhenRequestIsAcceptedAndRefuseOtherwise(MigrationCapabilities capabilities,
                                                                         DeviceMigrationState from,
                                                                         DeviceMigrationState to) {
        List<DeviceMigrationState> expected = expectedPath(capabilities, from, to);
        if (expected == null) {
            PostcopyException refused = assertThrows(PostcopyException.class,
                () -> MigrationArcs.path(from, to, capabilities));
            assertEquals(ErrorCode.DEVICE_STATE, refused.code());
            return;
        }
        List<DeviceMigrationState> actual = MigrationArcs.path(from, to, capabilities);
        assertEquals(expected, actual);
        DeviceMigrationState previous = from;
        for (DeviceMigrationState step : actual) {
            assertTrue(kernelArcs(capabilities).contains(previous + "->" + step),
                "undefined arc " + previous + " -> " + step + " in " + actual);
            previous = step;
        }
        assertNoSavingStateMidway(from, actual);
        assertEquals(shortestPathLength(capabilities, from, to), actual.size(), "not a shortest path: " + actual);
    }

    @ParameterizedTest(name = "[{0}] {1} -> {2}")
    @MethodSource("everyPairUnderEveryCapabilities")
    void shouldReportAnArcExactlyWhenTheKernelDefinesIt(MigrationCapabilities capabilities,
                                                        DeviceMigrationState from, DeviceMigrationState to) {
        assertEquals(kernelArcs(capabilities).contains(from + "->" + to), MigrationArcs.isArc(from, to, capabilities));
    }

    @ParameterizedTest(name = "[{0}] {1} -> {2}")
    @MethodSource("everyPairUnderEveryCapabilities")
    void shouldWalkTheSamePathWhenDrivenThroughTheStateMachine(MigrationCapabilities capabilities,
                                                               DeviceMigrationState from, DeviceMigrationState to) {
        List<DeviceMigrationState> toStart = expectedPath(capabilities, RUNNING, from);
        List<DeviceMigrationState> expected = expectedPath(capabilities, from, to);
        if (toStart == null || expected == null) {
            return;
        }
        List<String> arcsSeen = new ArrayList<>();
        DeviceStateMachine machine = new DeviceStateMachine("dev", capabilities, new MigrationArcHandler() {
            @Override
            public void onArc(DeviceMigrationState arcFrom, DeviceMigrationState arcTo) {
                arcsSeen.add(arcFrom + "->" + arcTo);
            }

            @Override
            public void onReset(DeviceMigrationState resetFrom) {
            }
        }, new SimpleMeterRegistry());
        machine.requestState(from, "setup");
        arcsSeen.clear();

        assertEquals(expected, machine.requestState(to, "test"));
        assertEquals(to, machine.state());
        assertEquals(expected.size(), arcsSeen.size());
        assertTrue(kernelArcs(capabilities).containsAll(arcsSeen), arcsSeen::toString);
    }

    @Test
    void shouldRefuseStopCopyToPreCopyWhenDeviceSupportsPreCopy() {
        assertThrows(PostcopyException.class, () -> MigrationArcs.path(STOP_COPY, PRE_COPY, MigrationCapabilities.ALL));
        assertThrows(PostcopyException.class,
            () -> MigrationArcs.path(STOP_COPY, PRE_COPY_P2P, MigrationCapabilities.ALL));
    }

    @Test
    void shouldCoverEverySupportedPairWhenTableIsLoaded() {
        for (MigrationCapabilities capabilities : MigrationCapabilities.combinations()) {
            long supported = Arrays.stream(DeviceMigrationState.values()).filter(capabilities::canRequest).count();
            long listed = EXPECTED_PATHS.get(capabilities.toString()).size();
            long refusedByKernel = capabilities.preCopy() ? (capabilities.p2p() ? 2 : 1) : 0;
            assertEquals(supported * (supported - 1) - refusedByKernel, listed, capabilities.toString());
        }
    }

    private static List<DeviceMigrationState> expectedPath(MigrationCapabilities capabilities,
                                                           DeviceMigrationState from, DeviceMigrationState to) {
        if (from == to) {
            return capabilities.canRequest(from) ? List.of() : null;
        }
        return EXPECTED_PATHS.get(capabilities.toString()).get(from + "->" + to);
    }

    /** The single-step arcs the driver implements, per the comment of vfio_mig_get_next_state(). */
    private static Set<String> kernelArcs(MigrationCapabilities capabilities) {
        Set<String> arcs = new HashSet<>(List.of("RESUMING->STOP", "STOP->RESUMING", "STOP->STOP_COPY",
            "STOP_COPY->STOP"));
        if (capabilities.p2p()) {
            arcs.addAll(List.of("RUNNING->RUNNING_P2P", "RUNNING_P2P->RUNNING", "RUNNING_P2P->STOP",
                "STOP->RUNNING_P2P"));
        } else {
            arcs.addAll(List.of("RUNNING->STOP", "STOP->RUNNING"));
        }
        if (capabilities.preCopy()) {
            arcs.addAll(List.of("RUNNING->PRE_COPY", "PRE_COPY->RUNNING"));
            if (capabilities.p2p()) {
                arcs.addAll(List.of("PRE_COPY->PRE_COPY_P2P", "PRE_COPY_P2P->PRE_COPY", "PRE_COPY_P2P->RUNNING_P2P",
                    "PRE_COPY_P2P->STOP_COPY", "RUNNING_P2P->PRE_COPY_P2P"));
            } else {
                arcs.add("PRE_COPY->STOP_COPY");
            }
        }
        return arcs;
    }

    /** Interior saving states only while the whole path so far stays inside the saving group. */
    private static void assertNoSavingStateMidway(DeviceMigrationState from, List<DeviceMigrationState> path) {
        boolean insideGroup = from.isSaving();
        for (int i = 0; i < path.size() - 1; i++) {
            DeviceMigrationState interior = path.get(i);
            insideGroup &= interior.isSaving();
            assertFalse(interior.isSaving() && !insideGroup, "saving state " + interior + " midway in " + from + " "
                + path);
        }
        if (path.size() > 1 && path.get(0).isSaving()) {
            assertTrue(path.get(path.size() - 1).isSaving(), "left the saving group through " + path);
        }
    }

    /** Breadth-first search over the kernel arcs, interior saving states only inside the saving group. */
    private static int shortestPathLength(MigrationCapabilities capabilities, DeviceMigrationState from,
                                          DeviceMigrationState to) {
        Set<String> arcs = kernelArcs(capabilities);
        Map<DeviceMigrationState, Integer> distance = new EnumMap<>(DeviceMigrationState.class);
        ArrayDeque<DeviceMigrationState> frontier = new ArrayDeque<>(List.of(from));
        distance.put(from, 0);
        while (!frontier.isEmpty()) {
            DeviceMigrationState state = frontier.poll();
            if (state == to) {
                return distance.get(state);
            }
            boolean mayContinue = state == from || !state.isSaving() || from.isSaving() && to.isSaving();
            if (!mayContinue) {
                continue;
            }
            for (DeviceMigrationState next : DeviceMigrationState.values()) {
                if (arcs.contains(state + "->" + next) && !distance.containsKey(next)) {
                    distance.put(next, distance.get(state) + 1);
                    frontier.add(next);
                }
            }
        }
        return -1;
    }

    private static Map<String, Map<String, List<DeviceMigrationState>>> loadExpectedPaths() {
        Map<String, Map<String, List<DeviceMigrationState>>> table = new HashMap<>();
        try (InputStream in = Objects.requireNonNull(
                MigrationArcsTest.class.getResourceAsStream("vfio-migration-paths.txt"), "resource");
             BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            Map<String, List<DeviceMigrationState>> section = null;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                if (line.startsWith("[")) {
                    section = new HashMap<>();
                    table.put(line.substring(1, line.length() - 1), section);
                    continue;
                }
                List<DeviceMigrationState> states = Arrays.stream(line.split(" -> "))
                    .map(DeviceMigrationState::valueOf).toList();
                Objects.requireNonNull(section, "path before section").put(states.get(0) + "->"
                    + states.get(states.size() - 1), states.subList(1, states.size()));
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return table;
    }
}
